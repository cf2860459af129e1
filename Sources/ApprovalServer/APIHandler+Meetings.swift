import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import PostgresNIO

/// Joint review meetings (联审联办会, 联合验收, 联合踏勘): scheduled and closed by coordinators; closing applies
/// absence-as-consent (缺席默认) and the decision dates promised in the minutes.
extension APIHandler {
    static func meetingBody(_ meeting: Meeting) -> Components.Schemas.Meeting {
        .init(id: meeting.id, kind: .init(rawValue: meeting.kind)!, stage: meeting.stageID, scheduledOn: meeting.scheduledOn.description,
              closedOn: meeting.closedOn?.description,
              invitations: meeting.invitations.map { .init(department: $0.department, items: $0.items, attendance: $0.attendance.flatMap { .init(rawValue: $0) }) })
    }

    func listMeetings(_ input: Operations.ListMeetings.Input) async throws -> Operations.ListMeetings.Output {
        let (record, _, _) = try await readProject(input.path.code)
        let meetings = try await database.read { try await MeetingRepository.forProject(record.id, on: $0, logger: context.logger) }
        return .ok(.init(body: .json(.init(meetings: meetings.map(Self.meetingBody)))))
    }

    func scheduleMeeting(_ input: Operations.ScheduleMeeting.Input) async throws -> Operations.ScheduleMeeting.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let code = input.path.code
        let meeting = try await idempotentWrite(key: input.headers.idempotencyKey, operation: "scheduleMeeting", target: code,
                                                request: request, status: 201) { connection, user in
            var (record, project) = try await lockVisibleProject(code, user: user, ifMatch: nil, on: connection)
            try Access.checkMayRunMeetings(user)
            let today = context.today
            let (scheduledOn, invitations) = try Self.validInvitations(request, project: project, today: today)
            let id = try await MeetingRepository.create(projectID: record.id, kind: request.kind.rawValue, stageID: request.stage,
                                                        scheduledOn: scheduledOn, invitations: invitations,
                                                        createdBy: user.id, on: connection, logger: context.logger)
            try await ProjectRepository.append(NewEvent(kind: .meetingScheduled, payload: [
                "meeting": .int(id), "kind": .string(request.kind.rawValue), "stage": .string(request.stage),
                "scheduledOn": .string(request.scheduledOn),
                "invitations": .object(Dictionary(uniqueKeysWithValues: invitations.map { ($0.0, JSONValue.array($0.1.map(JSONValue.string))) })),
            ], actorID: user.id, at: context.clock.now(), on: today), to: &record, on: connection, logger: context.logger)
            try await context.save(&record, project, today: today, on: connection)
            // Read again in the same transaction, after the insert.
            guard let meeting = try await MeetingRepository.forProject(record.id, on: connection, logger: context.logger).first(where: { $0.id == id }) else {
                throw APIError.notFound("meeting \(id) of project \(record.code)")
            }
            return Self.meetingBody(meeting)
        }
        return .created(.init(body: .json(meeting)))
    }

    /// The meeting's date, and its invitations: every invited department decides only open items of the meeting's
    /// stage that are its own.
    private static func validInvitations(_ request: Operations.ScheduleMeeting.Input.Body.JsonPayload, project: Project,
                                         today: CivilDate) throws(APIError) -> (CivilDate, [(String, [String])]) {
        guard let stage = project.workflow.stages.first(where: { $0.id == request.stage }) else {
            throw .invalid(field: "stage", "workflow '\(project.workflow.id)' has no stage '\(request.stage)'; stages: \(project.workflow.stages.map(\.id).joined(separator: ", "))")
        }
        guard let scheduledOn = CivilDate(input: request.scheduledOn), scheduledOn >= today else {
            throw .invalid(field: "scheduledOn", "'\(request.scheduledOn)' is not a date (\(CivilDate.acceptedForm)) from today (\(today)) on")
        }
        var problems: [APIError.FieldProblem] = []
        var seen: Set<String> = []
        for (index, invitation) in request.invitations.enumerated() {
            if !seen.insert(invitation.department).inserted {
                problems.append(.init(field: "invitations[\(index)].department", detail: "\(invitation.department) is invited twice"))
            }
            for (itemIndex, itemID) in invitation.items.enumerated() {
                let field = "invitations[\(index)].items[\(itemIndex)]"
                guard let item = project.item(itemID), item.definition.stageID == stage.id else {
                    problems.append(.init(field: field, detail: "stage '\(stage.id)' has no item '\(itemID)'"))
                    continue
                }
                if item.definition.department != invitation.department {
                    problems.append(.init(field: field, detail: "'\(itemID)' is decided by \(item.definition.department), not \(invitation.department)"))
                } else if item.state.hasEnded {
                    problems.append(.init(field: field, detail: "'\(itemID)' has already ended (\(item.state.rawValue))"))
                }
            }
        }
        guard problems.isEmpty else { throw .invalid(problems) }
        return (scheduledOn, request.invitations.map { ($0.department, $0.items) })
    }

    func closeMeeting(_ input: Operations.CloseMeeting.Input) async throws -> Operations.CloseMeeting.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let meetingID = input.path.meetingId
        let response = try await writeProject(code: input.path.code, operation: "closeMeeting/\(meetingID)", request: request,
                                              ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { record, project, today, user, connection in
            try Access.checkMayRunMeetings(user)
            guard let meeting = try await MeetingRepository.forProject(record.id, on: connection, logger: context.logger).first(where: { $0.id == meetingID }) else {
                throw APIError.notFound("meeting \(meetingID) of project \(record.code)", field: "meetingId")
            }
            if let closedOn = meeting.closedOn { throw APIError.conflict("meeting \(meetingID) was already closed on \(closedOn)") }
            guard today >= meeting.scheduledOn else {
                throw APIError.invalid(field: "meetingId", "the meeting is scheduled for \(meeting.scheduledOn); its minutes cannot be recorded before")
            }
            let invited = Dictionary(uniqueKeysWithValues: meeting.invitations.map { ($0.department, $0.items) })
            let given = Dictionary(request.attendance.map { ($0.department, $0) }, uniquingKeysWith: { first, _ in first })
            var problems: [APIError.FieldProblem] = []
            for (index, entry) in request.attendance.enumerated() where invited[entry.department] == nil {
                problems.append(.init(field: "attendance[\(index)].department", detail: "\(entry.department) was not invited"))
            }
            for department in invited.keys.sorted() where given[department] == nil {
                problems.append(.init(field: "attendance", detail: "the minutes must say whether \(department) attended"))
            }
            // Checked with the rest, before any item changes or any default approval is counted.
            for (index, entry) in request.attendance.enumerated() {
                for (promiseIndex, promise) in (entry.promisedDays ?? []).enumerated() where !(invited[entry.department] ?? []).contains(promise.item) {
                    problems.append(.init(field: "attendance[\(index)].promisedDays[\(promiseIndex)].item",
                                          detail: "\(promise.item) is not among the items \(entry.department) decides at this meeting"))
                }
            }
            guard problems.isEmpty else { throw APIError.invalid(problems) }

            let calendar = context.registry.calendar(for: project.workflow)
            var events: [NewEvent] = []
            func itemEvent(_ action: ItemAction, _ item: ProjectItem, extra: [String: JSONValue] = [:]) throws {
                let itemID = item.id
                do {
                    try project.perform(action, on: itemID, date: today, calendar: calendar)
                } catch {
                    throw APIError.refused(error)
                }
                var payload = action.payload.merging(extra) { $1 }
                payload["from"] = .string(item.state.rawValue)
                payload["to"] = .string((project.item(itemID) ?? item).state.rawValue)
                payload["meeting"] = .int(meetingID)
                events.append(NewEvent(kind: .item(action.kind), itemID: itemID, payload: payload, actorID: user.id,
                                       at: context.clock.now(), on: today))
            }
            for (department, itemIDs) in invited.sorted(by: { $0.key < $1.key }) {
                // Every invited department is in the minutes (checked above).
                guard let entry = given[department] else { continue }
                for itemID in itemIDs {
                    guard let item = project.item(itemID), !item.state.hasEnded else { continue }
                    switch entry.status {
                    case .absent where item.definition.onTimeout == .escalate:
                        // Silent approval is unsafe for this item: the absence goes to leaders instead.
                        context.metrics.recordEscalation(department: department)
                        events.append(NewEvent(kind: .meetingAbsenceEscalated, itemID: itemID,
                                               payload: ["meeting": .int(meetingID), "department": .string(department),
                                                         "leadDepartment": .string(project.workflow.leadDepartment(ofItem: itemID) ?? "")],
                                               actorID: user.id, at: context.clock.now(), on: today))
                    case .absent where [.submitted, .accepted].contains(item.state):
                        try itemEvent(.defaultApprove(.absence), item)
                        context.metrics.recordDefaultApproval(reason: "absence", department: department)
                    case .attended:
                        if let promise = entry.promisedDays?.first(where: { $0.item == itemID }), [.accepted, .suspended].contains(item.state) {
                            // The contract bounds promisedDays[].days within what the calendar adds.
                            let promisedBy = try calendar.deadline(adding: promise.days, to: today).value
                            try itemEvent(.promiseDecision(by: promisedBy), item, extra: ["promisedDays": .int(Int64(promise.days))])
                        }
                    default:
                        break
                    }
                }
            }
            try await MeetingRepository.close(meetingID, on: today, attendance: given.mapValues { $0.status.rawValue },
                                              on: connection, logger: context.logger)
            return [NewEvent(kind: .meetingClosed, payload: [
                "meeting": .int(meetingID),
                "attendance": .object(given.mapValues { .string($0.status.rawValue) }),
            ], actorID: user.id, at: context.clock.now(), on: today)] + events
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }
}
