import ApprovalCore
import Testing

@Suite("Item state machine", .timeLimit(.minutes(5)))
struct ItemStateMachineTests {
    /// How to bring an item into each state on 2026-03-02, and which item to use.
    static let setups: [(ItemState, String, [ItemAction])] = [
        (.blocked, "c", []),
        (.ready, "a", []),
        (.submitted, "a", [.submit]),
        (.accepted, "a", [.submit, .accept(commitment: nil)]),
        (.suspended, "a", [.submit, .accept(commitment: nil), .suspend(.expertReview)]),
        (.approved, "a", [.submit, .accept(commitment: nil), .approve]),
        (.rejected, "a", [.submit, .accept(commitment: nil), .reject(reason: "不符合规划条件")]),
        (.defaultApproved, "a", [.submit, .accept(commitment: nil), .defaultApprove(.absence)]),
        (.withdrawn, "a", [.submit, .withdraw]),
        (.notApplicable, "d", []),
        (.exempted, "e", []),
    ]

    /// The actions each state permits; every other action must be refused as an illegal transition.
    static let permitted: [ItemState: Set<String>] = [
        .blocked: ["exempt"],
        .ready: ["submit", "exempt"],
        .submitted: ["accept", "withdraw", "default-approve"],
        .accepted: ["suspend", "approve", "reject", "withdraw", "default-approve", "escalate"],
        .suspended: ["resume", "withdraw"],
    ]

    static let actions: [ItemAction] = [
        .submit, .accept(commitment: nil), .suspend(.supplement(missingMaterials: ["规划设计方案"])), .resume, .approve,
        .reject(reason: "理由"), .withdraw, .defaultApprove(.absence), .escalate, .exempt(source: "审批豁免清单"),
    ]

    @Test("every state reached as set up", arguments: setups.map(\.0))
    func reachable(state: ItemState) throws {
        let (_, item, steps) = Self.setups.first { $0.0 == state }!
        var project = smallProject()
        for step in steps { try project.run("2026-03-02", (item, step)) }
        #expect(project.item(item)?.state == state)
    }

    @Test("every illegal transition is refused with the state and how it was reached", arguments: setups.map(\.0))
    func illegalTransitions(state: ItemState) throws {
        let (_, item, steps) = Self.setups.first { $0.0 == state }!
        for action in Self.actions where !(Self.permitted[state] ?? []).contains(action.name) {
            var project = smallProject()
            for step in steps { try project.run("2026-03-02", (item, step)) }
            let before = project
            let error = #expect(throws: ItemTransitionError.self, "\(action.name) from \(state)") {
                try project.run("2026-03-03", (item, action))
            }
            guard case let .illegalTransition(itemID, name, current, reachedBy)? = error else {
                Issue.record("expected an illegal transition, got \(String(describing: error))")
                continue
            }
            #expect(itemID == item && name == action.name && current == state)
            #expect(reachedBy?.to == state)
            #expect(error!.description.contains("it is \(state.rawValue) since 2026-03-02"))
            #expect(error!.description.contains("already ended") == state.hasEnded)
            #expect(project == before, "a refused action changes nothing")
        }
    }

    @Test func decisionOnAnEndedItemNamesWhenAndWhy() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        // 10 working days from Monday 2026-03-02 end with Monday 2026-03-16.
        #expect(project.item("a")?.deadline?.value == day("2026-03-16"))
        try project.run("2026-03-17", ("a", .defaultApprove(.timeout)))
        let error = #expect(throws: ItemTransitionError.self) { try project.run("2026-03-18", ("a", .approve)) }
        #expect(error?.description == "cannot approve item 'a': it is default_approved since 2026-03-17, reached by default-approve (timeout: no decision by the end of 2026-03-16); the item has already ended")
    }

    @Test func requestsMissingWhatTheRuleRequiresAreInvalid() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("b", .submit))
        func problem(_ item: String, _ action: ItemAction, on date: String = "2026-03-02") -> String? {
            do { try project.run(date, (item, action)); return nil } catch {
                guard case let .invalidRequest(_, _, problem)? = error as? ItemTransitionError else { return "wrong kind: \(error)" }
                return problem
            }
        }
        #expect(problem("b", .accept(commitment: DeficiencyCommitment(missingMaterials: ["x"], dueDate: day("2026-03-10")))) == "this item does not allow acceptance with deficiencies (容缺受理)")
        #expect(problem("a", .accept(commitment: DeficiencyCommitment(missingMaterials: [], dueDate: day("2026-03-10"))))?.contains("list the missing materials") == true)
        #expect(problem("a", .accept(commitment: DeficiencyCommitment(missingMaterials: ["x"], dueDate: day("2026-03-01"))))?.contains("before the acceptance date") == true)
        try project.run("2026-03-02", ("a", .accept(commitment: nil)), ("b", .accept(commitment: nil)))
        #expect(problem("a", .suspend(.supplement(missingMaterials: [])))?.contains("一次性告知") == true)
        #expect(problem("a", .reject(reason: "  "))?.contains("must give its reason") == true)
        #expect(problem("a", .defaultApprove(.timeout))?.contains("has not passed") == true)
        #expect(problem("b", .escalate)?.contains("has not passed") == true)
        #expect(problem("b", .defaultApprove(.absence))?.contains("policy is escalate") == true)
        #expect(problem("a", .approve, on: "2026-03-01")?.contains("before the item's last event") == true)
        #expect(problem("a", .fulfilCommitment)?.contains("not accepted with deficiencies") == true)
        #expect(project.item("a")?.state == .accepted && project.item("b")?.state == .accepted)
    }
}

@Suite("Resubmission (补正)", .timeLimit(.minutes(5)))
struct ResubmissionTests {
    @Test func onlyASupplementRequestIsAnsweredByTheApplicant() throws {
        var project = smallProject()
        try project.perform(.submit, on: "a", date: day("2026-03-02"), calendar: officialCalendar)
        try project.perform(.accept(commitment: nil), on: "a", date: day("2026-03-02"), calendar: officialCalendar)
        // Not stopped: nothing to answer.
        #expect(throws: ItemTransitionError.self) { try project.resubmit("a", date: day("2026-03-03"), calendar: officialCalendar) }
        // An expert review is the department's to end.
        try project.perform(.suspend(.expertReview), on: "a", date: day("2026-03-03"), calendar: officialCalendar)
        #expect(throws: ItemTransitionError.self) { try project.resubmit("a", date: day("2026-03-04"), calendar: officialCalendar) }
        #expect(project.item("a")?.state == .suspended)
        try project.perform(.resume, on: "a", date: day("2026-03-04"), calendar: officialCalendar)
        // A supplement request is answered by resubmitting, which restarts the clock.
        try project.perform(.suspend(.supplement(missingMaterials: ["营业执照"])), on: "a", date: day("2026-03-05"), calendar: officialCalendar)
        try project.resubmit("a", date: day("2026-03-09"), calendar: officialCalendar)
        #expect(project.item("a")?.state == .accepted)
        #expect(project.item("a")?.stops.last?.resumedOn == day("2026-03-09"))
    }
}
