import ApprovalCore
import Crypto
import Foundation
import Logging
import PostgresNIO

/// DOMAIN.md "Who uses it".
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// 投资主体: their organisation's projects.
    case investor
    /// 代办员: the projects assigned to them.
    case agent
    /// 审批部门窗口: their department's items, in their region.
    case reviewer
    /// 代办中心 / 服务中心: their region.
    case coordinator
    /// 领导 / 效能监察: their region, read-only.
    case leader
    case admin
}

/// An agent's place in the three-level agency network (三级代办网络).
public enum AgentLevel: String, Sendable, Hashable, CaseIterable, Codable {
    case city, county, township

    /// For agents added without a level: a city-level code (…00) means the city network, otherwise the county.
    static func assumed(forRegion region: String) -> AgentLevel { region.hasSuffix("00") ? .city : .county }
}

public struct User: Sendable, Hashable {
    public let id: Int64
    public let name: String
    public let role: Role
    public let region: String
    public let department: String?
    public let organisation: String?
    public let phone: String?
    public let active: Bool
    /// Agents only.
    public var agentLevel: AgentLevel? = nil
    public var agentCapacity: Int? = nil
    /// Reviewers only: the head of the department in the region (负责人), who decides extensions of limits.
    public var departmentHead = false

    public var jurisdiction: Jurisdiction { Jurisdiction(region) ?? Jurisdiction(stored: region) }
}

public struct NewUser: Sendable {
    public var name: String
    public var role: Role
    public var region: String
    public var department: String?
    public var organisation: String?
    public var phone: String?
    /// Agents only; when nil, assumed from the region, with a capacity of 20 projects.
    public var agentLevel: AgentLevel?
    public var agentCapacity: Int?
    public var departmentHead: Bool

    public init(name: String, role: Role, region: String, department: String? = nil, organisation: String? = nil, phone: String? = nil,
                agentLevel: AgentLevel? = nil, agentCapacity: Int? = nil, departmentHead: Bool = false) {
        self.departmentHead = departmentHead
        self.name = name
        self.role = role
        self.region = region
        self.department = department
        self.organisation = organisation
        self.phone = phone
        self.agentLevel = agentLevel
        self.agentCapacity = agentCapacity
    }

    /// What is wrong with this user, by field; empty when it can be created.
    public func problems(departments: [String: Department]) -> [(field: String, detail: String)] {
        var problems: [(String, String)] = []
        if name.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(("name", "must not be empty")) }
        if Jurisdiction(region) == nil { problems.append(("region", "'\(region)' is not \(Jurisdiction.expectedForm)")) }
        switch (role, department) {
        case (.reviewer, nil): problems.append(("department", "a reviewer belongs to a department"))
        case let (.reviewer, id?) where departments[id] == nil:
            problems.append(("department", "unknown department '\(id)'; known: \(departments.keys.sorted().joined(separator: ", "))"))
        case (.reviewer, _), (_, nil): break
        case (_, _?): problems.append(("department", "only reviewers belong to a department"))
        }
        if departmentHead, role != .reviewer { problems.append(("departmentHead", "only a reviewer heads a department")) }
        if role == .investor, organisation?.isEmpty ?? true { problems.append(("organisation", "an investor belongs to an organisation")) }
        return problems
    }
}

/// Users and their bearer tokens. A token is shown once, when issued; only its SHA-256 digest is stored.
public enum UserRepository {
    static let columns = "id, name, role, region, department, organisation, phone, active, agent_level, agent_capacity, department_head"

    static let columnCount = columns.split(separator: ",").count

    /// Users whose name ends with `suffix`, oldest first (the generator marks the staff it creates so).
    public static func named(endingWith suffix: String, on connection: PostgresConnection, logger: Logger) async throws -> [User] {
        try await connection.query("SELECT \(unescaped: columns) FROM users WHERE name LIKE \("%" + suffix) ORDER BY id", logger: logger)
            .collect().map(decodeUser)
    }

    static func decodeUser(_ row: PostgresRow) throws -> User {
        var cells = RowCells(row)
        return try decodeUser(&cells)
    }

    static func decodeUser(_ cells: inout RowCells) throws -> User {
        let id = try cells.next(Int64.self), name = try cells.next(String.self), role = try cells.next(String.self)
        let region = try cells.next(String.self), department = try cells.next(String?.self), organisation = try cells.next(String?.self)
        let phone = try cells.next(String?.self), active = try cells.next(Bool.self), level = try cells.next(String?.self)
        let capacity = try cells.next(Int?.self), head = try cells.next(Bool.self)
        return User(id: id, name: name, role: Role(rawValue: role)!, region: region, department: department,
                    organisation: organisation, phone: phone, active: active, agentLevel: level.flatMap(AgentLevel.init(rawValue:)),
                    agentCapacity: capacity, departmentHead: head)
    }

    public static func create(_ user: NewUser, on connection: PostgresConnection, logger: Logger) async throws -> User {
        let isAgent = user.role == .agent
        let level = isAgent ? user.agentLevel ?? AgentLevel.assumed(forRegion: user.region) : nil
        let capacity = isAgent ? user.agentCapacity ?? 20 : nil
        let row = try await connection.query("""
            INSERT INTO users (name, role, region, department, organisation, phone, agent_level, agent_capacity, department_head)
            VALUES (\(user.name), \(user.role.rawValue), \(user.region), \(user.department), \(user.organisation), \(user.phone),
                    \(level?.rawValue), \(capacity), \(user.departmentHead))
            RETURNING \(unescaped: columns)
            """, logger: logger).collect().first!
        return try decodeUser(row)
    }

    /// Issues a new random token for the user; returns its id and the secret, which is never stored.
    /// `expiresAt` nil: valid until revoked. A `publicSecret` someone chose (the demo's, the tests') is marked as
    /// such, and `serve` outside development refuses to start while it signs anyone in.
    public static func issueToken(for userID: Int64, publicSecret: String? = nil, expiresAt: Date? = nil, on connection: PostgresConnection,
                                  logger: Logger) async throws -> (id: Int64, token: String) {
        let secret = publicSecret ?? makeSecret()
        let id = try await connection.query("""
            INSERT INTO tokens (user_id, digest, expires_at, public_secret)
            VALUES (\(userID), \(digest(of: secret)), \(expiresAt), \(publicSecret != nil)) RETURNING id
            """, logger: logger).collect().first!.decode(Int64.self)
        return (id, secret)
    }

    public static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "apr_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func digest(of secret: String) -> Data { Data(SHA256.hash(data: Data(secret.utf8))) }

    /// The active user holding this token, unrevoked and unexpired.
    public static func authenticate(token: String, on connection: PostgresConnection, logger: Logger) async throws -> User? {
        try await authenticate(token: token, withStoredStatusOf: nil, on: connection, logger: logger)?.0
    }

    /// The user the bearer `token` signs in (active, token neither revoked nor expired), and with `code` the project's stored status
    /// answer if there is one: a status read's only round trip when that answer can be sent (StoredStatusMiddleware).
    public static func authenticate(token: String, withStoredStatusOf code: String?, on connection: PostgresConnection,
                                    logger: Logger) async throws -> (User, ProjectStatusDocuments.Stored?)? {
        try await connection.execute(Authentication(digest: digest(of: token), code: code), logger: logger).first { _ in true }
    }

    /// A token that still signs its user in.
    static func validToken(_ table: String = "tokens") -> String {
        "\(table).revoked_at IS NULL AND (\(table).expires_at IS NULL OR \(table).expires_at > now())"
    }

    /// Every request runs this, so it is prepared once per connection: planning its join cost PostgreSQL more
    /// than running it (BENCHMARKS.md).
    struct Authentication: PostgresPreparedStatement {
        static let sql = """
            SELECT u.*, \(ProjectStatusDocuments.columns)
            FROM (SELECT \(columns) FROM users
                  WHERE active AND id = (SELECT user_id FROM tokens WHERE digest = $1 AND \(validToken()))) u
            LEFT JOIN (projects p JOIN project_status_documents d ON d.project_id = p.id) ON p.code = $2
            """
        static let bindingDataTypes: [PostgresDataType] = [.bytea, .text]
        let digest: Data
        let code: String?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            try bindings.append(digest)
            if let code { try bindings.append(code) } else { bindings.appendNull() }
            return bindings
        }

        /// The answer's columns follow the user's.
        func decodeRow(_ row: PostgresRow) throws -> (User, ProjectStatusDocuments.Stored?) {
            (try decodeUser(row), try ProjectStatusDocuments.decode(row.makeRandomAccess(), from: row.count - ProjectStatusDocuments.columnCount))
        }
    }

    public static func find(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> User? {
        let rows = try await connection.query("""
            SELECT \(unescaped: columns) FROM users WHERE id = \(id)
            """, logger: logger).collect()
        return try rows.first.map(decodeUser)
    }

    /// The department windows serving `region` (a county's 6-digit code): active reviewers with a phone whose
    /// jurisdiction covers it — the county's own, its city's, its province's — the most local first.
    public static func windows(serving region: String, on connection: PostgresConnection, logger: Logger) async throws -> [User] {
        let covering = [region, String(region.prefix(4)) + "00", String(region.prefix(2)) + "0000"]
        let rows = try await connection.query("""
            SELECT \(unescaped: columns) FROM users
            WHERE role = 'reviewer' AND active AND phone IS NOT NULL AND region = ANY(\(covering))
            ORDER BY department, region DESC, id LIMIT 500
            """, logger: logger).collect()
        return try rows.map(decodeUser)
    }

    public static func list(role: Role?, regionPrefix: String?, on connection: PostgresConnection, logger: Logger) async throws -> [User] {
        let rows = try await connection.query("""
            SELECT \(unescaped: columns) FROM users
            WHERE (\(role?.rawValue)::text IS NULL OR role = \(role?.rawValue))
              AND (\(regionPrefix)::text IS NULL OR starts_with(region, \(regionPrefix)))
            ORDER BY id
            """, logger: logger).collect()
        return try rows.map(decodeUser)
    }

    /// Active users a public token still signs in: one issued with a chosen secret (`issueToken(publicSecret:)`),
    /// or one whose secret is among `known` (the demo's and the old seed's, whenever and however they were issued).
    public static func holdersOfPublicTokens(known: [String], on connection: PostgresConnection, logger: Logger) async throws -> [User] {
        try await connection.query("""
            SELECT \(unescaped: columns) FROM users
            WHERE active AND id IN (SELECT user_id FROM tokens
                                    WHERE (public_secret OR digest IN (SELECT sha256(convert_to(secret, 'UTF8')) FROM unnest(\(known)::text[]) secret))
                                      AND \(unescaped: validToken()))
            ORDER BY id
            """, logger: logger).collect().map(decodeUser)
    }

    /// The token's owner, for checking who may revoke it.
    public static func tokenOwner(_ tokenID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        try await connection.query("SELECT user_id FROM tokens WHERE id = \(tokenID) AND revoked_at IS NULL", logger: logger)
            .collect().first?.decode(Int64.self)
    }

    public static func revokeToken(_ tokenID: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE tokens SET revoked_at = now() WHERE id = \(tokenID) AND revoked_at IS NULL", logger: logger)
    }
}
