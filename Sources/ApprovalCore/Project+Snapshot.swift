import Foundation

/// A project's item states as they stand, so that a write loads a project without replaying its whole history.
/// The replay stays the truth: a snapshot is only valid for the calendar it was computed with (deadlines come
/// out of the calendar, and a newer calendar corrects provisional ones), and tests check it against the replay.
public struct ProjectSnapshot: Sendable, Hashable {
    /// `WorkdayCalendar.fingerprint` of the calendar the deadlines were computed with.
    public let calendar: String
    public let items: [ItemSnapshot]

    public struct ItemSnapshot: Sendable, Hashable {
        let id: String
        let state: ItemState
        let history: [ItemEvent]
        let runs: [RunningInterval]
        let runningSince: CivilDate?
        let stops: [ClockStop]
        let deadline: CivilDate?
        let deadlineProvisional: Bool
        let commitment: DeficiencyCommitment?
        let supplementRequests: Int
        let escalatedOn: CivilDate?
        let defaultApprovalReason: DefaultApprovalReason?
        let exemptionSource: String?
        let rejectionReason: String?
        let promisedBy: CivilDate?
        let timeExtension: TimeExtension?
    }
}

extension Project {
    public func snapshot(calendar: WorkdayCalendar) -> ProjectSnapshot {
        ProjectSnapshot(calendar: calendar.fingerprint, items: items.map(\.snapshot))
    }

    /// The project as `snapshot` left it; nil when the snapshot was made with another calendar or does not
    /// fit the workflow (then the caller replays the events).
    public init?(workflow: WorkflowDefinition, attributes: [String: AttributeValue], startedOn: CivilDate,
                 restoring snapshot: ProjectSnapshot, calendar: WorkdayCalendar) {
        guard snapshot.calendar == calendar.fingerprint, snapshot.items.map(\.id) == workflow.items.map(\.id) else { return nil }
        self.init(workflow: workflow, attributes: attributes, startedOn: startedOn,
                  items: zip(workflow.items, snapshot.items).map { ProjectItem(definition: $0, restoring: $1) })
    }
}

extension ProjectItem {
    var snapshot: ProjectSnapshot.ItemSnapshot {
        .init(id: id, state: state, history: history, runs: runs, runningSince: runningSince, stops: stops, deadline: deadline?.value,
              deadlineProvisional: deadline?.isProvisional ?? false, commitment: commitment, supplementRequests: supplementRequests,
              escalatedOn: escalatedOn, defaultApprovalReason: defaultApprovalReason, exemptionSource: exemptionSource,
              rejectionReason: rejectionReason, promisedBy: promisedBy, timeExtension: timeExtension)
    }
}
