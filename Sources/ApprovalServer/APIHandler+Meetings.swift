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
        let meeting = try await changeProject(code: code, operation: "scheduleMeeting", request: request,
                                              idempotencyKey: input.headers.idempotencyKey, status: 201) { record, project, today, user, connection in
            try Access.checkMayRunMeetings(user)
            let invitations = request.invitations.map { (department: $0.department, items: $0.items) }
            let scheduledOn: CivilDate
            do throws(MeetingMinutes.Refusal) {
                scheduledOn = try project.scheduleMeeting(stage: request.stage, on: CivilDate(input: request.scheduledOn), as: request.scheduledOn,
                                                          invitations: invitations, today: today, notice: context.settings.meetingNotice,
                                                          calendar: context.registry.calendar(for: project.workflow))
            } catch {
                throw APIError.refused(error)
            }
            let id = try await MeetingRepository.create(projectID: record.id, kind: request.kind.rawValue, stageID: request.stage,
                                                        scheduledOn: scheduledOn, invitations: invitations,
                                                        createdBy: user.id, on: connection, logger: context.logger)
            let scheduled = NewEvent(.meetingScheduled(meeting: id, kind: request.kind.rawValue, stage: request.stage, scheduledOn: scheduledOn,
                                                       invitations: Dictionary(invitations, uniquingKeysWith: { first, _ in first })),
                                     actorID: user.id, at: context.clock.now(), on: today)
            // Read again in the same transaction, after the insert.
            guard let meeting = try await MeetingRepository.forProject(record.id, on: connection, logger: context.logger).first(where: { $0.id == id }) else {
                throw APIError.notFound("meeting \(id) of project \(record.code)")
            }
            return ([scheduled], Self.meetingBody(meeting))
        }
        return .created(.init(body: .json(meeting)))
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
            do throws(MeetingMinutes.Refusal) {
                try MeetingMinutes.checkMayRecord(closedOn: meeting.closedOn, scheduledOn: meeting.scheduledOn, today: today)
            } catch {
                throw APIError.refused(error, meeting: meetingID)
            }
            let invited = Dictionary(uniqueKeysWithValues: meeting.invitations.map { ($0.department, $0.items) })
            let minutes = MeetingMinutes(entries: request.attendance.map { entry in
                MeetingMinutes.Entry(department: entry.department, attendance: Self.attendance(entry.status),
                                     promises: (entry.promisedDays ?? []).map { MeetingMinutes.Promise(item: $0.item, days: $0.days) })
            })
            let decisions: [MeetingMinutes.Decision]
            do throws(MeetingMinutes.Refusal) {
                decisions = try project.close(meeting: invited, minutes: minutes, today: today, calendar: context.registry.calendar(for: project.workflow))
            } catch {
                throw APIError.refused(error)
            }
            let given = Dictionary(minutes.entries.map { ($0.department, $0.attendance) }, uniquingKeysWith: { first, _ in first })
            let events = decisions.map { decision in
                switch decision {
                case let .itemAction(action, before, promisedDays):
                    var transition = ItemTransition(action, before: before, in: project)
                    transition.meeting = meetingID
                    transition.promisedDays = promisedDays
                    return NewEvent(.item(transition), itemID: before.id, actorID: user.id, at: context.clock.now(), on: today)
                case let .absenceEscalated(itemID, department, leadDepartment):
                    return NewEvent(.meetingAbsenceEscalated(meeting: meetingID, department: department, leadDepartment: leadDepartment),
                                    itemID: itemID, actorID: user.id, at: context.clock.now(), on: today)
                }
            }
            try await MeetingRepository.close(meetingID, on: today, attendance: given.mapValues(\.rawValue),
                                              on: connection, logger: context.logger)
            return [NewEvent(.meetingClosed(meeting: meetingID, attendance: given.mapValues(\.rawValue)),
                             actorID: user.id, at: context.clock.now(), on: today)] + events
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    /// The contract's attendance, one for one.
    private static func attendance(_ status: Operations.CloseMeeting.Input.Body.JsonPayload.AttendancePayloadPayload.StatusPayload) -> MeetingMinutes.Attendance {
        switch status {
        case .attended: .attended
        case .leave: .leave
        case .absent: .absent
        }
    }
}
