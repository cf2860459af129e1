import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The library material an application carries for one requirement.
public struct AttachedMaterial: Sendable, Hashable {
    public let material: Int64
    public let version: Int
    public let name: String
    public let fileName: String
    public let sha256: String
    public let size: Int
    public let attachedOn: CivilDate
    /// Issued by a department's decision (电子证照), not uploaded by the investor.
    public let issued: Bool
}

/// Which materials the items' applications carry: one row per item and requirement, written in the transaction of
/// the `material.attached` or `material.detached` event that says so.
public enum ItemMaterialRepository {
    public static func attach(projectID: Int64, itemID: String, requirementID: String, materialID: Int64, version: Int, by userID: Int64,
                              on date: CivilDate, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO item_materials (project_id, item_id, requirement_id, material_id, version, attached_by, attached_on)
            VALUES (\(projectID), \(itemID), \(requirementID), \(materialID), \(version), \(userID), \(date.description)::date)
            ON CONFLICT (project_id, item_id, requirement_id)
            DO UPDATE SET material_id = EXCLUDED.material_id, version = EXCLUDED.version, attached_by = EXCLUDED.attached_by,
                          attached_on = EXCLUDED.attached_on
            """, logger: logger)
    }

    /// Removes the attachment; returns the material that was attached, nil when none was.
    public static func detach(projectID: Int64, itemID: String, requirementID: String, on connection: PostgresConnection,
                              logger: Logger) async throws -> Int64? {
        try await connection.query("""
            DELETE FROM item_materials WHERE project_id = \(projectID) AND item_id = \(itemID) AND requirement_id = \(requirementID)
            RETURNING material_id
            """, logger: logger).collect().first?.decode(Int64.self)
    }

    /// The JSON `LoadedProject` reads them in: item → requirement → attachment.
    static let byItem = """
        jsonb_object_agg(im.item_id || '/' || im.requirement_id, jsonb_build_object(
            'material', im.material_id, 'version', im.version, 'name', m.name, 'fileName', v.file_name,
            'sha256', encode(c.digest, 'hex'), 'size', c.size, 'on', im.attached_on::text, 'issued', m.issued_by_item IS NOT NULL))
        """

    static let joins = """
        item_materials im JOIN materials m ON m.id = im.material_id
        JOIN material_versions v ON v.material_id = im.material_id AND v.version = im.version
        JOIN material_contents c ON c.id = v.content_id
        """

    /// Decodes `byItem`.
    static func decode(_ json: JSONValue) -> [String: [String: AttachedMaterial]] {
        guard case let .object(fields) = json else { return [:] }
        var result: [String: [String: AttachedMaterial]] = [:]
        for (key, value) in fields {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, case let .object(entry) = value, case let .int(material)? = entry["material"],
                  case let .int(version)? = entry["version"], case let .string(name)? = entry["name"], case let .string(fileName)? = entry["fileName"],
                  case let .string(sha256)? = entry["sha256"], case let .int(size)? = entry["size"], case let .string(on)? = entry["on"],
                  let attachedOn = CivilDate(iso: on) else { continue }
            result[parts[0], default: [:]][parts[1]] = AttachedMaterial(material: material, version: Int(version), name: name, fileName: fileName,
                                                                        sha256: sha256, size: Int(size), attachedOn: attachedOn,
                                                                        issued: entry["issued"] == .bool(true))
        }
        return result
    }

    public static func forProject(_ projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [String: [String: AttachedMaterial]] {
        let json = try await connection.query("""
            SELECT \(unescaped: byItem) FROM \(unescaped: joins) WHERE im.project_id = \(projectID)
            """, logger: logger).collect().first?.decode(JSONValue?.self)
        return json.flatMap { $0 }.map(decode) ?? [:]
    }

    /// Where a material is attached: each project's region, organisation and agent, and the item's department —
    /// what deciding who may read it needs.
    public static func uses(of materialID: Int64, on connection: PostgresConnection, logger: Logger)
        async throws -> [(region: String, organisation: String, agentID: Int64?, department: String, version: Int)] {
        try await connection.query("""
            SELECT p.region, p.investor_org, p.agent_id, i.department, im.version
            FROM item_materials im JOIN projects p ON p.id = im.project_id
            JOIN items i ON i.project_id = im.project_id AND i.item_id = im.item_id
            WHERE im.material_id = \(materialID)
            """, logger: logger).collect().map { row in
            let (region, organisation, agent, department, version) = try row.decode((String, String, Int64?, String, Int).self)
            return (region, organisation, agent, department, version)
        }
    }
}
