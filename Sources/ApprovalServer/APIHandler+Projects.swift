import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import PostgresNIO

extension APIHandler {
    func createProject(_ input: Operations.CreateProject.Input) async throws -> Operations.CreateProject.Output {
        let user = try currentUser()
        try Access.checkMayCreateProjects(user)
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let (newProject, project) = try validate(request, by: user)
        await context.paces.refreshIfDue(context)
        let response = try await idempotentWrite(key: input.headers.idempotencyKey, operation: "createProject", target: "",
                                                 request: request, status: 201) { connection, user in
            var newProject = newProject
            if newProject.code.isEmpty {
                let prefix = ProjectCode.localPrefix(region: newProject.region, on: newProject.startedOn)
                guard let serial = try await ProjectRepository.nextLocalSerial(prefix: prefix, maximum: ProjectCode.maximumSerial,
                                                                                on: connection, logger: context.logger) else {
                    throw APIError.conflict("no local project code is left in region \(newProject.region) this month; ask the national platform for a code",
                                            type: "/problems/codes-exhausted")
                }
                newProject.code = ProjectCode(localFor: newProject.region, on: newProject.startedOn, serial: serial).text
            }
            let workflow = project.workflow
            let created = NewEvent(.projectCreated(ProjectCreation(
                code: newProject.code, codeIssuedLocally: newProject.codeIssuedLocally, name: newProject.name,
                investorOrganisation: newProject.investorOrganisation, region: newProject.region, workflow: workflow.id,
                workflowVersion: workflow.version, workflowDigest: context.registry.digests[newProject.workflowVersionID] ?? "",
                attributes: newProject.attributes)), actorID: user.id, at: context.clock.now(), on: newProject.startedOn)
            guard var record = try await ProjectRepository.insert(newProject, on: connection, logger: context.logger) else {
                // Whether a code is taken is said only to someone who may see the project that has it (as a read of
                // it would answer 404): the same refusal otherwise, whoever holds it.
                let existing = try await ProjectRepository.find(code: newProject.code, on: connection, logger: context.logger)
                if let existing, Access.canSee(region: existing.region, investorOrganisation: existing.investorOrganisation,
                                                agentID: existing.agentID, user: user, reviews: { _ in false }) {
                    throw APIError.conflict("a project with code \(newProject.code) already exists")
                }
                throw APIError.invalid(field: "code", "this code cannot be registered; if the national platform issued it to your organisation, ask the approval centre")
            }
            var write = ProjectWrite()
            write.events.append(created, to: &record)
            let save = context.projectSave(record, project, today: newProject.startedOn, documents: [:], lastProgress: nil)
            write.saves = [save]
            guard try await write.write(on: connection, logger: context.logger) else {
                throw APIError.conflict("project \(newProject.code) changed while it was being created")
            }
            return respond(save, agent: nil, agreement: nil, documents: [:], lastProgress: nil, today: newProject.startedOn)
        }
        return .created(.init(headers: .init(eTag: response.etag, location: "/v1/projects/\(response.status.code)"),
                              body: .json(response.status)))
    }

    /// Checks everything about a new project before anything is written, naming each wrong field.
    private func validate(_ request: Components.Schemas.ProjectCreate, by user: User) throws(APIError) -> (NewProject, Project) {
        var problems: [APIError.FieldProblem] = []
        guard let (versionID, workflow) = context.registry.currentVersion(of: request.workflow) else {
            throw .invalid(field: "workflow", "unknown workflow '\(request.workflow)'; known: \(context.registry.current.keys.sorted().joined(separator: ", "))")
        }
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { problems.append(.init(field: "name", detail: "must not be empty")) }
        let (organisation, forWhom) = Access.newProjectOwner(request.investorOrganisation?.trimmingCharacters(in: .whitespaces) ?? "",
                                                             region: request.region, user: user)
        problems += forWhom
        if Jurisdiction(request.region) == nil {
            problems.append(.init(field: "region", detail: "'\(request.region)' is not \(Jurisdiction.expectedForm)"))
        }
        var code = ""
        if let national = request.code {
            do {
                code = try ProjectCode(national: national, region: request.region).text
            } catch {
                problems.append(.init(field: "code", detail: error.message))
            }
        }
        var attributes: [String: AttributeValue] = [:]
        for (id, value) in request.attributes.additionalProperties {
            switch value {
            case let .case1(flag): attributes[id] = .boolean(flag)
            case let .case2(number): attributes[id] = .number(number)
            case let .case3(text): attributes[id] = .text(text)
            }
        }
        let today = context.today
        var project: Project?
        do {
            project = try Project(workflow: workflow, attributes: attributes, startedOn: today)
        } catch {
            problems += error.problems.sorted { $0.key < $1.key }.map { .init(field: "attributes.\($0.key)", detail: $0.value) }
        }
        guard problems.isEmpty, let project else { throw .invalid(problems) }
        return (NewProject(code: code, codeIssuedLocally: request.code == nil, name: name, investorOrganisation: organisation,
                           region: request.region, attributes: attributes, workflowVersionID: versionID, startedOn: today), project)
    }

    func listProjects(_ input: Operations.ListProjects.Input) async throws -> Operations.ListProjects.Output {
        let user = try currentUser()
        let query = input.query
        var filter = ProjectFilter(stage: query.stage, warning: query.warning.map { WarningLevel(rawValue: $0.rawValue)! },
                                   workflowID: query.workflow, limit: query.limit ?? 50)
        if let state = query.state { filter.completed = state == .completed }
        if let region = query.region {
            guard let jurisdiction = Jurisdiction(region) else { throw APIError.badRequest("'\(region)' is not \(Jurisdiction.expectedForm)", field: "region") }
            filter.regionPrefix = jurisdiction.prefix
        }
        if let cursor = query.cursor {
            guard let data = Data(base64Encoded: cursor), let id = Int64(String(decoding: data, as: UTF8.self)) else {
                throw APIError.badRequest("not a cursor this server issued; pass nextCursor from the previous page unchanged", field: "cursor")
            }
            filter.beforeID = id
        }
        let (scope, logger) = (Access.scope(of: user), context.logger)
        let (projects, more) = try await context.readReplica.read { connection in
            try await ProjectRepository.list(filter, scope: scope, on: connection, logger: logger)
        }
        let summaries = projects.map { listed in
            let record = listed.record
            return Components.Schemas.ProjectSummary(
                code: record.code, name: record.name, investorOrganisation: record.investorOrganisation, region: record.region,
                workflow: listed.workflowID, currentStage: record.currentStage, state: record.completed ? .completed : .inProgress,
                warning: ProjectStatusMapper.warning(record.warning), usedDays: record.usedDays,
                totalLimit: context.registry.versions[record.workflowVersionID]?.totalLimit ?? 0, startedOn: record.startedOn.description,
                nextStepOn: listed.nextStepOn?.description)
        }
        let next = more ? projects.last.map { Data(String($0.record.id).utf8).base64EncodedString() } : nil
        return .ok(.init(body: .json(.init(projects: summaries, nextCursor: next))))
    }

    /// Reads a visible project as of today, or 404.
    func readProject(_ code: String) async throws -> (ProjectRecord, Project, ProjectResponse) {
        let user = try currentUser()
        await context.paces.refreshIfDue(context)
        return try await database.read { connection in
            guard let loaded = try await LoadedProject.read(code: code, userID: user.id, idempotencyKey: nil, on: connection,
                                                            logger: context.logger) else {
                throw APIError.notFound("project \(code)", field: "code")
            }
            let record = loaded.record
            let project = try await ProjectRepository.load(record, registry: context.registry, on: connection, logger: context.logger)
            guard Access.canSee(record, project, user: user) else { throw APIError.notFound("project \(code)", field: "code") }
            let today = context.today
            let view = ProjectView(project: project, asOf: today, calendar: context.registry.calendar(for: project.workflow))
            return (record, project, respond(record, project, view: view, agent: loaded.agent, agreement: loaded.agreement,
                                             documents: loaded.documents, lastProgress: loaded.lastProgress,
                                             attachments: loaded.attachments, today: today))
        }
    }

    func getProjectStatus(_ input: Operations.GetProjectStatus.Input) async throws -> Operations.GetProjectStatus.Output {
        let (record, project, response) = try await readProject(input.path.code)
        // Kept for the next read (StoredStatusMiddleware), encoded as the runtime encodes answers; encoded twice
        // on this path, as the runtime takes the typed answer.
        let body = try APIEncoding.encoder().encode(response.status)
        let departments = Access.reviewingDepartments(project)
        context.metrics.recordStatusAnswer(stored: false)
        do {
            try await database.read { connection in
                try await ProjectStatusDocuments.store(projectID: record.id, version: record.version, asOf: context.today,
                                                       departments: departments.sorted(), body: body, on: connection, logger: context.logger)
            }
        } catch where DatabaseOutage.contains(error) {
            // Keeping the answer only saves the next read its work: a database taking no writes (a failover under
            // way) still answers the read.
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    func getProjectTimeline(_ input: Operations.GetProjectTimeline.Input) async throws -> Operations.GetProjectTimeline.Output {
        let (record, _, _) = try await readProject(input.path.code)
        let entries = try await database.read { connection in
            try await ProjectRepository.timeline(of: record, on: connection, logger: context.logger)
        }
        let events = entries.map { entry in
            Components.Schemas.TimelineEvent(
                seq: entry.seq, at: entry.at, on: entry.on.description, kind: entry.kind, item: entry.itemID,
                from: entry.payload["from"]?.stringValue, to: entry.payload["to"]?.stringValue,
                detail: TimelineDetail.describe(entry.payload),
                actor: .init(id: entry.actorID, name: entry.actorName, role: .init(rawValue: entry.actorRole.rawValue)!))
        }
        return .ok(.init(body: .json(.init(code: record.code, events: events))))
    }

    func updateProject(_ input: Operations.UpdateProject.Input) async throws -> Operations.UpdateProject.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let name = try Self.stated(request.name, field: "name", "must not be empty")
        let response = try await writeProject(code: input.path.code, operation: "updateProject", request: request,
                                              ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { record, _, today, user, _ in
            try Access.checkMayEditProject(user)
            let previous = record.name
            record.name = name
            return [NewEvent(.projectRenamed(from: previous, to: name), actorID: user.id, at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }
}
