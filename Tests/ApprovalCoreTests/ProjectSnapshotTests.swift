import ApprovalCore
import Foundation
import Testing

@Suite("Project snapshots: a write loads the items from the row, not the replay", .timeLimit(.minutes(5)))
struct ProjectSnapshotTests {
    /// A project that went through every kind of clock state: a deficiency commitment, a supplement pause and
    /// its resumption, a promise, an escalation, a rejection, and items opened by their prerequisites.
    private func busyProject() throws -> Project {
        var project = try Project(workflow: clockTestWorkflow, attributes: ["big": .boolean(true), "floors": .number(12)],
                                  startedOn: day("2026-03-02"))
        try project.run("2026-03-02", ("a", .submit), ("b", .submit), ("d", .submit))
        try project.run("2026-03-03", ("a", .accept(commitment: DeficiencyCommitment(missingMaterials: ["节能报告"], dueDate: day("2026-03-20")))),
                        ("b", .accept(commitment: nil)), ("d", .accept(commitment: nil)))
        try project.run("2026-03-04", ("a", .suspend(.supplement(missingMaterials: ["图纸"]))), ("d", .reject(reason: "不符合规划")))
        try project.run("2026-03-09", ("a", .resume), ("a", .promiseDecision(by: day("2026-03-12"))))
        try project.run("2026-03-12", ("a", .fulfilCommitment), ("a", .approve))
        try project.run("2026-03-20", ("b", .escalate))
        return project
    }

    @Test func aSnapshotRestoresTheProjectTheReplayBuilds() throws {
        let project = try busyProject()
        let snapshot = project.snapshot(calendar: officialCalendar)
        // Stored as JSON in the row: the restore reads what the encoder wrote.
        let stored = try ProjectSnapshot(json: snapshot.json)
        let restored = try #require(Project(workflow: clockTestWorkflow, attributes: project.attributes, startedOn: project.startedOn,
                                            restoring: stored, calendar: officialCalendar))
        #expect(restored == project)
        #expect(restored.item("c")?.state == .ready, "opened by its prerequisite, as in the replay")

        // A restored project goes on exactly like the original.
        var continued = project, fromSnapshot = restored
        try continued.run("2026-03-13", ("c", .submit), ("c", .accept(commitment: nil)))
        try fromSnapshot.run("2026-03-13", ("c", .submit), ("c", .accept(commitment: nil)))
        #expect(fromSnapshot == continued)
    }

    /// The application's requirements a supplement request and a 容缺 commitment name (with the version found
    /// deficient) are kept by the snapshot; one without them is written as snapshots always were.
    @Test func requirementsNamedBySupplementsAndCommitmentsSurviveTheSnapshot() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit))
        try project.run("2026-03-03", ("a", .accept(commitment: DeficiencyCommitment(missingMaterials: ["设备清单"], requirements: ["equipment-list"],
                                                                                      dueDate: day("2026-03-20")))))
        try project.run("2026-03-04", ("a", .suspend(.supplement(missingMaterials: [], requirements: [
            RequestedMaterial(requirement: "boundary-survey", deficient: "ab12"), RequestedMaterial(requirement: "application-form", deficient: nil),
        ]))))
        let stored = try ProjectSnapshot(json: project.snapshot(calendar: officialCalendar).json)
        let restored = try #require(Project(workflow: clockTestWorkflow, attributes: project.attributes, startedOn: project.startedOn,
                                            restoring: stored, calendar: officialCalendar))
        #expect(restored == project)
        #expect(restored.item("a")?.commitment?.requirements == ["equipment-list"])
        guard case let .supplement(_, requested)? = restored.item("a")?.stops.last?.reason else { Issue.record("no supplement"); return }
        #expect(requested.map(\.deficient) == ["ab12", nil])
        #expect(restored.item("a")?.history.last?.detail == "补正材料: boundary-survey、application-form")
    }

    @Test func aSnapshotFromAnotherCalendarIsNotUsed() throws {
        let project = try busyProject()
        // Next year's notice published: provisional deadlines may move, so the events must be replayed.
        let newer = WorkdayCalendar(id: officialCalendar.id, name: officialCalendar.name, timeZoneIdentifier: officialCalendar.timeZoneIdentifier,
                                    coveredYears: 2026...2026, daysOff: [day("2026-03-10"): "假日"], makeUpWorkdays: [:])
        #expect(newer.fingerprint != officialCalendar.fingerprint)
        let snapshot = project.snapshot(calendar: officialCalendar)
        #expect(Project(workflow: clockTestWorkflow, attributes: project.attributes, startedOn: project.startedOn, restoring: snapshot,
                        calendar: newer) == nil)
        // The same working days under another name are the same calendar for deadlines.
        let renamed = WorkdayCalendar(id: "renamed", name: "另一个名字", timeZoneIdentifier: "Asia/Shanghai", coveredYears: 2026...2026,
                                      daysOff: [day("2026-03-10"): "别名"], makeUpWorkdays: [:])
        #expect(renamed.fingerprint.split(separator: " ").last == newer.fingerprint.split(separator: " ").last)
    }
}
