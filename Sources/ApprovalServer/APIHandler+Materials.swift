import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import OpenAPIRuntime
import PostgresNIO

/// The material library (材料库, issue 24): an investor organisation's documents, uploaded once (streamed, typed by
/// content, stored once per SHA-256) and downloaded whole or by range.
extension APIHandler {
    static func materialBody(_ material: Material) -> Components.Schemas.Material {
        let versions = material.versions.map { version in
            Components.Schemas.MaterialVersion(version: version.version, fileName: version.fileName,
                                               mediaType: .init(rawValue: version.content.mediaType) ?? .applicationPdf,
                                               size: Int64(version.content.size), sha256: version.content.digestHex, uploadedAt: version.uploadedAt)
        }
        // A material is created with its first version in one transaction, so it always has one.
        let current = versions.last ?? .init(version: 0, fileName: material.name, mediaType: .applicationPdf, size: 0, sha256: "", uploadedAt: material.createdAt)
        return .init(id: material.id, name: material.name, kind: material.kind, validFrom: material.validFrom?.description,
                     validUntil: material.validUntil?.description, current: current, versions: versions,
                     issuedBy: material.issuedBy.map { .init(project: $0.project, item: $0.item) })
    }

    /// The organisation whose library the caller keeps: investors only.
    private func libraryOwner() throws -> (User, String) {
        let user = try currentUser()
        guard user.role == .investor, let organisation = user.organisation else {
            throw APIError.forbidden("the material library is an investor organisation's; sign in as its investor")
        }
        return (user, organisation)
    }

    /// A material the caller may read: its organisation's investors, all of it; whoever may see a project whose
    /// application carries it (reviewers only for their own department's items), the versions carried there and
    /// nothing else; 404 otherwise, whether or not it exists.
    private func visibleMaterial(_ id: Int64, on connection: PostgresConnection) async throws -> Material {
        let user = try currentUser()
        let notFound = APIError.notFound("material \(id)", field: "materialId")
        guard let material = try await MaterialRepository.find(ids: [id], on: connection, logger: context.logger).first else { throw notFound }
        if user.role == .investor && user.organisation == material.organisation { return material }
        let uses = try await ItemMaterialRepository.uses(of: id, on: connection, logger: context.logger)
        let versions = Set(uses.filter { use in
            Access.canSee(region: use.region, investorOrganisation: use.organisation, agentID: use.agentID, user: user, reviews: { $0 == use.department })
        }.map(\.version))
        guard !versions.isEmpty else { throw notFound }
        return material.keeping(versions: versions)
    }

    func listMaterials(_ input: Operations.ListMaterials.Input) async throws -> Operations.ListMaterials.Output {
        let (_, organisation) = try libraryOwner()
        let materials = try await database.read {
            try await MaterialRepository.find(organisation: organisation, kind: input.query.kind, before: input.query.before,
                                              limit: Self.pageLimit(input.query.limit), on: $0, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(materials: materials.map(Self.materialBody)))))
    }

    func getMaterial(_ input: Operations.GetMaterial.Input) async throws -> Operations.GetMaterial.Output {
        let material = try await database.read { try await visibleMaterial(input.path.materialId, on: $0) }
        return .ok(.init(body: .json(Self.materialBody(material))))
    }

    func uploadMaterial(_ input: Operations.UploadMaterial.Input) async throws -> Operations.UploadMaterial.Output {
        let (user, organisation) = try libraryOwner()
        let name = input.query.name.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [FieldProblem] = []
        if name.isEmpty { problems.append(.init(field: "name", detail: "must not be empty")) }
        if let kind = input.query.kind, context.registry.catalog.materialKinds[kind] == nil {
            problems.append(.init(field: "kind", detail: "unknown material kind '\(kind)'; known: \(context.registry.catalog.materialKinds.keys.sorted().joined(separator: ", "))"))
        }
        let (validFrom, validUntil) = try Self.validity(from: input.query.validFrom, until: input.query.validUntil, problems: &problems)
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        guard case let .any(body) = input.body else { throw APIError.badRequest("expected the file as the request body", field: "body") }
        let count = try await database.read { try await MaterialRepository.count(organisation: organisation, on: $0, logger: context.logger) }
        guard count < Self.maximumMaterials else {
            throw APIError.conflict("the organisation's library holds \(Self.maximumMaterials) materials, the most it may; add versions to existing ones",
                                    type: "/problems/too-many-materials")
        }
        let material = try await receive(body, organisation: organisation) { content, connection in
            let id = try await MaterialRepository.create(organisation: organisation, name: name, kind: input.query.kind, validFrom: validFrom,
                                                         validUntil: validUntil, fileName: name, content: content, by: user.id,
                                                         on: connection, logger: context.logger)
            return id
        }
        return .created(.init(body: .json(Self.materialBody(material))))
    }

    func uploadMaterialVersion(_ input: Operations.UploadMaterialVersion.Input) async throws -> Operations.UploadMaterialVersion.Output {
        let (user, organisation) = try libraryOwner()
        var problems: [FieldProblem] = []
        let (validFrom, validUntil) = try Self.validity(from: input.query.validFrom, until: input.query.validUntil, problems: &problems)
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        guard case let .any(body) = input.body else { throw APIError.badRequest("expected the file as the request body", field: "body") }
        let existing = try await database.read { try await visibleMaterial(input.path.materialId, on: $0) }
        // A new version is the owner's: whoever else may read the material may not replace it.
        guard existing.organisation == organisation else { throw APIError.notFound("material \(existing.id)", field: "materialId") }
        if let issuedBy = existing.issuedBy {
            throw APIError.conflict("material \(existing.id) was issued by item '\(issuedBy.item)' of project \(issuedBy.project); only its department issues it again",
                                    type: "/problems/issued-document")
        }
        guard existing.versions.count < Self.maximumVersions else {
            throw APIError.conflict("material \(existing.id) has \(Self.maximumVersions) versions, the most one may have; upload it as a new material",
                                    type: "/problems/too-many-versions")
        }
        if let validFrom, validUntil == nil, let stored = existing.validUntil, stored < validFrom {
            throw APIError.invalid(field: "validFrom", "\(validFrom) is after the material's validUntil \(stored); give validUntil too")
        }
        if let validUntil, validFrom == nil, let stored = existing.validFrom, validUntil < stored {
            throw APIError.invalid(field: "validUntil", "\(validUntil) is before the material's validFrom \(stored)")
        }
        let material = try await receive(body, organisation: organisation) { content, connection in
            try await MaterialRepository.addVersion(materialID: existing.id, fileName: existing.name, content: content, validFrom: validFrom,
                                                    validUntil: validUntil, by: user.id, on: connection, logger: context.logger)
            return existing.id
        }
        return .created(.init(body: .json(Self.materialBody(material))))
    }

    /// Receives an upload into the library and records it with `record`, all in one transaction: a refused, failed
    /// or interrupted upload leaves nothing. The size limit is checked first against the declared length, then
    /// as the bytes arrive; the organisation's quota before any byte is taken and again once all are in.
    private func receive(_ body: HTTPBody, organisation: String,
                         record: @escaping (StoredContent, PostgresConnection) async throws -> Int64) async throws -> Material {
        let settings = context.settings.materials
        if case let .known(length) = body.length, length > settings.maximumFileBytes { throw Self.refusal(.tooLarge(limit: settings.maximumFileBytes)) }
        return try await context.uploads.admit(organisation) {
            var stored: Data?
            do {
                let before = try await database.read { try await MaterialRepository.usedBytes(organisation: organisation, on: $0, logger: context.logger) }
                guard before < settings.organisationQuotaBytes else { throw MaterialUploadError.overQuota(quota: settings.organisationQuotaBytes, used: before) }
                return try await database.transaction { connection in
                    let content = try await MaterialRepository.receive(body, limit: settings.maximumFileBytes, store: settings.uploadStore,
                                                                       within: settings.uploadTime, on: connection, logger: context.logger)
                    if content.isNew { stored = content.digest }
                    // The library's lock only now, to count the quota: an organisation's uploads stream side by side,
                    // and are counted one at a time (two at once would each see the other's bytes as not there yet).
                    try await MaterialRepository.lockLibrary(organisation: organisation, on: connection, logger: context.logger)
                    let id = try await record(content, connection)
                    let used = try await MaterialRepository.usedBytes(organisation: organisation, on: connection, logger: context.logger)
                    guard used <= settings.organisationQuotaBytes else {
                        throw MaterialUploadError.overQuota(quota: settings.organisationQuotaBytes, used: used - content.size)
                    }
                    guard let material = try await MaterialRepository.find(ids: [id], on: connection, logger: context.logger).first else {
                        throw APIError.notFound("material \(id)")
                    }
                    return material
                }
            } catch {
                if let stored { await discardUnrecorded(stored) }
                if let refused = error as? MaterialUploadError { throw Self.refusal(refused) }
                throw error
            }
        }
    }

    /// After a refused or failed upload that stored new bytes: its rows went with the transaction, and the file the
    /// directory store already put in place goes too, unless another upload has stored the same bytes since.
    private func discardUnrecorded(_ digest: Data) async {
        guard let directory = context.settings.materials.directory else { return }
        do {
            try await database.transaction { connection in
                if try await MaterialRepository.isUnstored(digest: digest, on: connection, logger: context.logger) {
                    try directory.remove(digests: [digest])
                }
            }
        } catch {
            context.logger.warning("the file of a refused upload was left in the material directory: \(LoggedError.describe(error))")
        }
    }

    /// Materials one organisation may keep, and versions one material may have: the library and every list of it
    /// stay bounded whatever a client sends (identical bytes cost no quota).
    static let maximumMaterials = 10_000
    static let maximumVersions = 100

    static func refusal(_ error: MaterialUploadError) -> APIError {
        switch error {
        case let .tooLarge(limit):
            APIError(status: 413, type: "/problems/too-large", title: "File too large",
                     detail: "a file may be at most \(limit) bytes (\(limit >> 20) MB)", field: "body")
        case let .overQuota(quota, used):
            APIError(status: 413, type: "/problems/quota", title: "Library quota reached",
                     detail: "the organisation's library may hold \(quota >> 20) MB and holds \(used >> 20) MB; this file would pass it", field: "body")
        case let .tooSlow(seconds):
            APIError(status: 408, type: "/problems/upload-too-slow", title: "Upload too slow",
                     detail: "a whole upload may take at most \(seconds) s; this one had not ended by then", field: "body")
        case let .unaccepted(looksLike):
            APIError(status: 415, type: "/problems/unsupported-type", title: "Unsupported file type",
                     detail: "the file is \(looksLike), not a PDF, OFD, JPEG or PNG (its content decides, not its name)", field: "body")
        }
    }

    private static func validity(from: String?, until: String?, problems: inout [FieldProblem]) throws -> (CivilDate?, CivilDate?) {
        var validFrom: CivilDate?, validUntil: CivilDate?
        if let from { if let date = CivilDate(input: from) { validFrom = date } else { problems.append(.init(field: "validFrom", detail: "'\(from)' is not a date (\(CivilDate.acceptedForm))")) } }
        if let until { if let date = CivilDate(input: until) { validUntil = date } else { problems.append(.init(field: "validUntil", detail: "'\(until)' is not a date (\(CivilDate.acceptedForm))")) } }
        if let validFrom, let validUntil, validUntil < validFrom {
            problems.append(.init(field: "validUntil", detail: "\(validUntil) is before validFrom \(validFrom)"))
        }
        return (validFrom, validUntil)
    }

    func downloadMaterial(_ input: Operations.DownloadMaterial.Input) async throws -> Operations.DownloadMaterial.Output {
        let user = try currentUser()
        let material = try await database.read { try await visibleMaterial(input.path.materialId, on: $0) }
        guard let version = input.query.version.map({ wanted in material.versions.first { $0.version == wanted } }) ?? material.current else {
            throw APIError.notFound("version \(input.query.version ?? 0) of material \(material.id)", field: "version")
        }
        let content = version.content
        let etag = "\"sha256:\(content.digestHex)\""
        if input.headers.ifNoneMatch?.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) == true {
            return .notModified(.init())
        }
        let range = try Self.byteRange(input.headers.range, size: content.size)
        guard let store = context.settings.materials.store(for: content.storedIn) else {
            throw MaterialStoreError(message: "content \(content.id) is stored in a \(content.storedIn), which this server is not configured with")
        }
        try await database.transaction {
            try await MaterialRepository.recordDownload(materialID: material.id, version: version.version, by: user.id, on: $0, logger: context.logger)
        }
        let type = MaterialType(rawValue: content.mediaType) ?? .pdf
        let bytes = HTTPBody(store.reader(content, range: range ?? 0..<content.size, database: database),
                             length: .known(Int64(range?.count ?? content.size)), iterationBehavior: .single)
        let fileName = material.name + "." + type.fileExtension
        // RFC 5987's attr-char: ASCII letters, digits and !#$&+-.^_`|~ stay as they are.
        let attributeCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~")
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: attributeCharacters) ?? "material"
        let disposition = "attachment; filename=\"material-\(material.id).\(type.fileExtension)\"; filename*=UTF-8''\(encoded)"
        if let range {
            return .partialContent(.init(headers: .init(eTag: etag, contentRange: "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(content.size)",
                                                        contentDisposition: disposition), body: Self.partialBody(bytes, type)))
        }
        return .ok(.init(headers: .init(eTag: etag, contentDisposition: disposition, acceptRanges: "bytes"), body: Self.wholeBody(bytes, type)))
    }

    /// The one range of `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; nil for the whole file (no
    /// header, or several ranges, which are answered whole); 416 when it lies outside the file.
    static func byteRange(_ header: String?, size: Int) throws -> Range<Int>? {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let unsatisfiable = APIError(status: 416, type: "/problems/range-not-satisfiable", title: "Range not satisfiable",
                                     detail: "'\(header)' lies outside the file's \(size) bytes", field: "Range")
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int(parts[1]), suffix > 0 else { throw unsatisfiable }
            return max(0, size - suffix)..<size
        }
        guard let start = Int(parts[0]), start >= 0, start < size else { throw unsatisfiable }
        guard !parts[1].isEmpty else { return start..<size }
        guard let end = Int(parts[1]), end >= start else { throw unsatisfiable }
        return start..<(min(end, size - 1) + 1)
    }

    private static func wholeBody(_ bytes: HTTPBody, _ type: MaterialType) -> Operations.DownloadMaterial.Output.Ok.Body {
        switch type {
        case .pdf: .pdf(bytes)
        case .ofd: .applicationOfd(bytes)
        case .jpeg: .jpeg(bytes)
        case .png: .png(bytes)
        }
    }

    private static func partialBody(_ bytes: HTTPBody, _ type: MaterialType) -> Operations.DownloadMaterial.Output.PartialContent.Body {
        switch type {
        case .pdf: .pdf(bytes)
        case .ofd: .applicationOfd(bytes)
        case .jpeg: .jpeg(bytes)
        case .png: .png(bytes)
        }
    }
}

// MARK: Applications carry materials

extension APIHandler {
    func attachMaterial(_ input: Operations.AttachMaterial.Input) async throws -> Operations.AttachMaterial.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let (itemID, requirementID) = (input.path.item, input.path.requirement)
        let response = try await writeProject(code: input.path.code, operation: "attachMaterial/\(itemID)/\(requirementID)", request: request,
                                              ifMatch: nil, idempotencyKey: input.headers.idempotencyKey) { record, project, today, user, connection in
            let requirement = try await checkMayChangeMaterials(itemID, requirementID, project: project, user: user, projectID: record.id,
                                                                today: today, connection: connection)
            // Only the investor's own library: a material of another organisation is as good as absent.
            guard let material = try await MaterialRepository.find(ids: [request.material], on: connection, logger: context.logger).first,
                  material.organisation == record.investorOrganisation else {
                throw APIError.invalid(field: "material", "material \(request.material) is not in the library of \(record.investorOrganisation)")
            }
            guard let version = request.version.map({ wanted in material.versions.first { $0.version == wanted } }) ?? material.current else {
                throw APIError.invalid(field: "version", "material \(material.id) has no version \(request.version ?? 0)")
            }
            if let kind = requirement.kind, let held = material.kind, held != kind {
                throw APIError.invalid(field: "material", "'\(requirement.name)' needs a \(kind); material \(material.id) is a \(held)")
            }
            // A window refuses an expired licence; so does the application.
            if let until = material.validUntil, until < today {
                throw APIError.invalid(field: "material", "material \(material.id) (\(material.name)) expired on \(until); upload its renewal as a new version")
            }
            try await ItemMaterialRepository.attach(projectID: record.id, itemID: itemID, requirementID: requirementID, materialID: material.id,
                                                    version: version.version, by: user.id, on: today, on: connection, logger: context.logger)
            let attachment = MaterialAttachment(requirement: requirementID, material: material.id, version: version.version, name: material.name,
                                                sha256: version.content.digestHex)
            return [NewEvent(.materialAttached(attachment), itemID: itemID, actorID: user.id, at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    func detachMaterial(_ input: Operations.DetachMaterial.Input) async throws -> Operations.DetachMaterial.Output {
        let (itemID, requirementID) = (input.path.item, input.path.requirement)
        let response = try await writeProject(code: input.path.code, operation: "detachMaterial/\(itemID)/\(requirementID)", request: [String: String](),
                                              ifMatch: nil, idempotencyKey: input.headers.idempotencyKey) { record, project, today, user, connection in
            _ = try await checkMayChangeMaterials(itemID, requirementID, project: project, user: user, projectID: record.id, today: today,
                                                  connection: connection)
            guard let material = try await ItemMaterialRepository.detach(projectID: record.id, itemID: itemID, requirementID: requirementID,
                                                                        on: connection, logger: context.logger) else {
                throw APIError.conflict("'\(requirementID)' of item '\(itemID)' carries no material", type: "/problems/nothing-attached")
            }
            return [NewEvent(.materialDetached(requirement: requirementID, material: material), itemID: itemID, actorID: user.id,
                             at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    /// Who may change an application's materials (who may submit it: the investor, or the agent within the
    /// agreement), and whether the item still takes them.
    private func checkMayChangeMaterials(_ itemID: String, _ requirementID: String, project: Project, user: User, projectID: Int64,
                                         today: CivilDate, connection: PostgresConnection) async throws -> MaterialRequirement {
        let requirement: MaterialRequirement
        do throws(AttachmentRefusal) {
            requirement = try project.requirement(requirementID, ofItem: itemID)
        } catch {
            switch error {
            case let .unknown(problem): throw APIError.notFound(problem.detail, field: problem.field)
            case let .closed(item, state):
                throw APIError.conflict("item '\(item)' is \(state.rawValue): its application's materials no longer change", state: state.rawValue)
            case let .notAskedFor(item, requirement, askedFor):
                let state = project.item(item)?.state.rawValue
                throw APIError.conflict("item '\(item)' was accepted with '\(requirement)' as it is; only what the window asked for may change now: "
                                        + askedFor.joined(separator: ", "), state: state, type: "/problems/not-asked-for")
            }
        }
        guard let item = project.item(itemID) else { throw APIError.notFound("item '\(itemID)'", field: "item") }
        try Access.checkMayPerform(.submit, on: item.definition, user: user)
        if user.role == .agent {
            let agreement = try await AgencyAgreementRepository.all(projectID: projectID, on: connection, logger: context.logger).last
            if let refusal = AgencyAgreement.onBehalfRefusal(latest: agreement, item: itemID, on: today) {
                throw APIError.forbidden("you may not attach materials to '\(itemID)' for the investor: \(refusal)")
            }
        }
        return requirement
    }
}

extension APIHandler {
    func listItemMaterials(_ input: Operations.ListItemMaterials.Input) async throws -> Operations.ListItemMaterials.Output {
        let itemID = input.path.item
        let materials = try await readProject(input.path.code) { record, project, today, user, connection in
            guard let item = project.item(itemID) else {
                throw APIError.notFound("item '\(itemID)' of project \(record.code)", field: "item")
            }
            let attached = try await ItemMaterialRepository.forProject(record.id, on: connection, logger: context.logger)[itemID] ?? [:]
            // Only the applicant learns what else the library holds: the project's investor, or its agent.
            let applicant = (user.role == .investor && user.organisation == record.investorOrganisation) || (user.role == .agent && user.id == record.agentID)
            let library = applicant ? try await MaterialRepository.kinds(organisation: record.investorOrganisation, validOn: today, on: connection, logger: context.logger) : nil
            return item.definition.requirements.map { ProjectStatusMapper.requirement($0, attached: attached[$0.id], library: library) }
        }
        return .ok(.init(body: .json(.init(materials: materials))))
    }
}

// MARK: Documents a decision issued (电子证照)

extension APIHandler {
    func issueDocument(_ input: Operations.IssueDocument.Input) async throws -> Operations.IssueDocument.Output {
        let itemID = input.path.item
        var problems: [FieldProblem] = []
        let (_, validUntil) = try Self.validity(from: nil, until: input.query.validUntil, problems: &problems)
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        guard case let .any(body) = input.body else { throw APIError.badRequest("expected the document as the request body", field: "body") }
        let number = input.query.documentNumber?.trimmingCharacters(in: .whitespaces)
        // Checked before the bytes are taken, and again when the document is recorded (the item cannot move back).
        let organisation = try await readProject(input.path.code) { record, project, _, user, connection in
            _ = try Self.issuedKind(itemID, project: project, user: user)
            let owed = try await FormalDocumentRepository.forProject(record.id, on: connection, logger: context.logger)[itemID]
            try Self.checkDocumentNumber(number, owed: owed, itemID: itemID)
            return record.investorOrganisation
        }
        let settings = context.settings.materials
        if case let .known(length) = body.length, length > settings.maximumFileBytes { throw Self.refusal(.tooLarge(limit: settings.maximumFileBytes)) }
        return try await context.uploads.admit(organisation) {
            // The bytes first, in a transaction of their own: the project's change below may be decided again after losing
            // a race, and a body can be read only once.
            let content: StoredContent
            do {
                content = try await database.transaction { connection in
                    try await MaterialRepository.receive(body, limit: settings.maximumFileBytes, store: settings.uploadStore,
                                                         within: settings.uploadTime, on: connection, logger: context.logger)
                }
            } catch let error as MaterialUploadError {
                throw Self.refusal(error)
            }
            // Should recording fail, the stored bytes are left for the collector a day later: another upload may have
            // found them stored meanwhile.
            return .created(.init(body: .json(try await recordIssued(content, itemID: itemID, number: number, validUntil: validUntil,
                                                                      code: input.path.code))))
        }
    }

    /// Records `content` as the document `itemID` issued, in the investor's library, with its event; after a default
    /// approval it is the formal document owed (within 1 working day), recorded as issued under `number` in the same change.
    private func recordIssued(_ content: StoredContent, itemID: String, number: String?, validUntil: CivilDate?, code: String) async throws -> Components.Schemas.Material {
        let request = ["item": itemID, "sha256": content.digestHex, "validUntil": validUntil?.description ?? "", "documentNumber": number ?? ""]
        var material: Components.Schemas.Material?
        _ = try await write(code: code, operation: "issueDocument", request: request, ifMatch: nil, idempotencyKey: nil, status: 201,
                            writesRows: true) { change, connection in
            let (record, today, user) = (change.record, change.today, change.user)
            let kind = try Self.issuedKind(itemID, project: change.project, user: user)
            guard let item = change.project.item(itemID) else { throw APIError.notFound("item '\(itemID)'", field: "item") }
            try Self.checkDocumentNumber(number, owed: change.documents[itemID], itemID: itemID)
            if let number { try recordFormalDocument(number, item: item, change: &change) }
            let name = context.registry.catalog.materialKinds[kind]?.name ?? kind
            let id = try await MaterialRepository.create(organisation: record.investorOrganisation, name: name, kind: kind, validFrom: today,
                                                         validUntil: validUntil, fileName: name, content: content, by: user.id,
                                                         issuedBy: (record.id, itemID), on: connection, logger: context.logger)
            guard let created = try await MaterialRepository.find(ids: [id], on: connection, logger: context.logger).first else {
                throw APIError.notFound("material \(id)")
            }
            material = Self.materialBody(created)
            change.events.append(NewEvent(.materialIssued(material: id, kind: kind, sha256: content.digestHex), itemID: itemID, actorID: user.id,
                                          at: context.clock.now(), on: today))
        } answer: { _, _, _ in
            guard let material else { throw APIError.conflict("the document was not recorded") }
            return material
        }
        guard let material else { throw APIError.conflict("the document was not recorded") }
        return material
    }

    /// A document number is given exactly when the item owes its formal document (after a default approval).
    private static func checkDocumentNumber(_ number: String?, owed: FormalDocument?, itemID: String) throws {
        if let owed, owed.issuedOn == nil {
            guard let number, !number.isEmpty else {
                throw APIError.invalid(field: "documentNumber",
                                       "item '\(itemID)' was deemed approved and owes its formal document (due \(owed.dueOn)); give the number of this one")
            }
        } else if number != nil {
            throw APIError.invalid(field: "documentNumber", "only the formal document owed after a default approval takes a number here")
        }
    }

    /// The kind of document `itemID` issues, if `user` may record it now: a reviewer of its department (or an
    /// admin), once the item is approved or deemed approved.
    private static func issuedKind(_ itemID: String, project: Project, user: User) throws -> String {
        guard let item = project.item(itemID) else { throw APIError.notFound("item '\(itemID)'", field: "item") }
        try Access.checkMayPerform(.approve, on: item.definition, user: user)
        guard let kind = item.definition.produces else {
            throw APIError.conflict("item '\(itemID)' issues no document of a reusable kind", type: "/problems/issues-nothing")
        }
        guard [.approved, .defaultApproved].contains(item.state) else {
            throw APIError.conflict("item '\(itemID)' is \(item.state.rawValue); its document is issued once it is approved", state: item.state.rawValue)
        }
        return kind
    }
}
