import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// A joint review meeting of one project stage and the departments invited to it.
public struct Meeting: Sendable, Hashable {
    public struct Invitation: Sendable, Hashable {
        public let department: String
        public let items: [String]
        public let attendance: String?
    }

    public let id: Int64
    public let kind: String
    public let stageID: String
    public let scheduledOn: CivilDate
    public let closedOn: CivilDate?
    public let invitations: [Invitation]
}

public enum MeetingRepository {
    public static func create(projectID: Int64, kind: String, stageID: String, scheduledOn: CivilDate, invitations: [(String, [String])],
                              createdBy: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let id = try await connection.query("""
            INSERT INTO meetings (project_id, kind, stage_id, scheduled_on, created_by)
            VALUES (\(projectID), \(kind), \(stageID), \(scheduledOn.description)::date, \(createdBy)) RETURNING id
            """, logger: logger).collect().first!.decode(Int64.self)
        for (department, items) in invitations {
            try await connection.query("""
                INSERT INTO meeting_invitations (meeting_id, department, items) VALUES (\(id), \(department), \(items))
                """, logger: logger)
        }
        return id
    }

    public static func forProject(_ projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [Meeting] {
        var invitations: [Int64: [Meeting.Invitation]] = [:]
        let invitationRows = try await connection.query("""
            SELECT i.meeting_id, i.department, i.items, i.attendance FROM meeting_invitations i
            JOIN meetings m ON m.id = i.meeting_id WHERE m.project_id = \(projectID) ORDER BY i.department
            """, logger: logger)
        for try await (meetingID, department, items, attendance) in invitationRows.decode((Int64, String, [String], String?).self) {
            invitations[meetingID, default: []].append(.init(department: department, items: items, attendance: attendance))
        }
        var meetings: [Meeting] = []
        let rows = try await connection.query("""
            SELECT id, kind, stage_id, scheduled_on::text, closed_on::text FROM meetings WHERE project_id = \(projectID) ORDER BY id
            """, logger: logger)
        for try await (id, kind, stage, scheduledOn, closedOn) in rows.decode((Int64, String, String, String, String?).self) {
            meetings.append(Meeting(id: id, kind: kind, stageID: stage, scheduledOn: CivilDate(iso: scheduledOn)!,
                                    closedOn: closedOn.flatMap(CivilDate.init(iso:)), invitations: invitations[id] ?? []))
        }
        return meetings
    }

    public static func close(_ meetingID: Int64, on date: CivilDate, attendance: [String: String], on connection: PostgresConnection,
                             logger: Logger) async throws {
        try await connection.query("UPDATE meetings SET closed_on = \(date.description)::date WHERE id = \(meetingID)", logger: logger)
        for (department, status) in attendance {
            try await connection.query("""
                UPDATE meeting_invitations SET attendance = \(status) WHERE meeting_id = \(meetingID) AND department = \(department)
                """, logger: logger)
        }
    }
}
