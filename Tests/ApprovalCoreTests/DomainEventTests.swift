import ApprovalCore
import Testing

@Suite("Domain events: one codec, the payloads every version wrote", .timeLimit(.minutes(5)))
struct DomainEventTests {
    static var supplied: ItemTransition {
        var transition = ItemTransition(.resume, from: .suspended, to: .accepted)
        transition.resubmitted = true
        transition.onBehalf = OnBehalf(organisation: "91330302MA2DEMO01X", agentName: "代办员 王")
        return transition
    }

    static var escalated: ItemTransition {
        var transition = ItemTransition(.escalate, from: .accepted, to: .accepted)
        transition.leadDepartment = "development-reform"
        return transition
    }

    static var decidedAtMeeting: ItemTransition {
        var transition = ItemTransition(.promiseDecision(by: day("2026-03-06")), from: .accepted, to: .accepted)
        transition.meeting = 3
        transition.promisedDays = 4
        return transition
    }

    /// One event of every kind, each with every optional part it can have.
    static let events: [DomainEvent] = [
        .projectCreated(ProjectCreation(code: "2603-330302-04-01-000001", codeIssuedLocally: true, name: "温州项目", investorOrganisation: "ORG",
                                        region: "330302", workflow: "low-risk", workflowVersion: 2, workflowDigest: "ab12",
                                        attributes: ["building-area-sqm": .number(1200), "needs-water-connection": .boolean(false), "use": .text("仓储")])),
        .projectRenamed(from: "旧名", to: "新名"),
        .item(ItemTransition(.submit, from: .ready, to: .submitted)),
        .item(ItemTransition(.accept(commitment: DeficiencyCommitment(missingMaterials: ["节能报告"], dueDate: day("2026-03-20"))), from: .submitted, to: .accepted)),
        .item(ItemTransition(.suspend(.supplement(missingMaterials: ["图纸", "说明"])), from: .accepted, to: .suspended)),
        .item(ItemTransition(.suspend(.expertReview), from: .accepted, to: .suspended)),
        .item(supplied),
        .item(ItemTransition(.approve, from: .accepted, to: .approved)),
        .item(ItemTransition(.reject(reason: "不符合规划"), from: .accepted, to: .rejected)),
        .item(ItemTransition(.withdraw, from: .submitted, to: .withdrawn)),
        .item(ItemTransition(.defaultApprove(.timeout), from: .accepted, to: .defaultApproved)),
        .item(escalated),
        .item(ItemTransition(.exempt(source: "区域评估"), from: .ready, to: .exempted)),
        .item(ItemTransition(.fulfilCommitment, from: .accepted, to: .accepted)),
        .item(decidedAtMeeting),
        .formalDocumentIssued(number: "浙审批〔2026〕12号", dueOn: day("2026-03-30"), late: true),
        .formalDocumentOverdue(department: "natural-resources-planning", dueOn: day("2026-03-30")),
        .meetingScheduled(meeting: 3, kind: "joint_review", stage: "s1", scheduledOn: day("2026-03-02"), invitations: ["a": ["x", "y"], "b": []]),
        .meetingClosed(meeting: 3, attendance: ["a": "present", "b": "absent"]),
        .meetingAbsenceEscalated(meeting: 3, department: "b", leadDepartment: "a"),
        .agentAssigned(agent: 7, agentName: "代办员 王"),
        .agentHandedOver(from: 7, fromName: "代办员 王", agent: 8, agentName: "代办员 李", reason: "调岗", handoverNote: "材料在档案柜"),
        .agentEnded(agent: 8, reason: "项目终止"),
        .agentFollowUpOverdue(agent: 8, nextStepOn: day("2026-03-05"), progress: 11),
        .agreement(AgreementEvent(.authorised, agreement: 5, scope: ["a", "c"], startsOn: day("2026-03-02"), validUntil: day("2026-12-31"))),
        .agreement(AgreementEvent(.renewed, agreement: 5, scope: ["a"], validUntil: day("2027-06-30"))),
        .agreement(AgreementEvent(.terminated, agreement: 5, reason: "投资主体申请")),
        .agreement(AgreementEvent(.completed, agreement: 5)),
        .progressLogged(progress: 11, kind: .siteVisit, text: "已上门走访", nextStepOn: day("2026-03-05")),
        .progressLogged(progress: 12, kind: .other, text: "跟进", nextStepOn: nil),
        .caseRaised(case: 2, title: "多部门意见不一致"),
        .caseResolved(case: 2, meetingOn: day("2026-03-10"), outcome: "以规划条件为准"),
        .rated(changed: false, subject: "agent", score: 5, agent: 7),
        .rated(changed: true, subject: "project-filing", score: 3, agent: nil),
        .itemWarning(remainingDays: 2, deadline: day("2026-03-12")),
        .materialAttached(MaterialAttachment(requirement: "business-licence", material: 12, version: 2, name: "营业执照", sha256: "ab01")),
        .materialDetached(requirement: "business-licence", material: 12),
        .materialIssued(material: 13, kind: "project-approval-document", sha256: "cd02"),
        .item(ItemTransition(.requestExtension(days: 8, reason: "需组织专家论证"), from: .accepted, to: .accepted)),
        .item(ItemTransition(.grantExtension, from: .accepted, to: .accepted)),
        .item(ItemTransition(.refuseExtension(reason: "理由不充分"), from: .suspended, to: .suspended)),
        .projectWarning(ProjectWarning(level: .red, reason: "forecast", usedDays: 60, forecastDays: 95, totalLimit: 90, criticalPath: ["a", "c"])),
    ]

    @Test func everyEventReadsBackAsWrittenAndEveryKindHasOne() throws {
        for event in Self.events {
            #expect(try DomainEvent(kind: event.kind, payload: .object(event.payload)) == event, "\(event.kind)")
        }
        #expect(Set(Self.events.map(\.kind.text)) == Set(EventKind.all.map(\.text)))
    }

    /// The payloads' shape as stored since the first version: integrations read them and the audit chain hashes them.
    @Test func payloadsKeepTheirStoredShape() {
        #expect(JSONValue.object(DomainEvent.item(Self.supplied).payload).canonicalText
                == #"{"action":"resume","agentName":"代办员 王","as":"resubmit","from":"suspended","onBehalfOf":"91330302MA2DEMO01X","to":"accepted"}"#)
        #expect(JSONValue.object(DomainEvent.item(Self.escalated).payload).canonicalText
                == #"{"action":"escalate","from":"accepted","leadDepartment":"development-reform","to":"accepted"}"#)
        #expect(JSONValue.object(Self.events[3].payload).canonicalText
                == #"{"action":"accept","commitment":{"dueDate":"2026-03-20","missingMaterials":["节能报告"]},"from":"submitted","to":"accepted"}"#)
        #expect(JSONValue.object(Self.events[25].payload).canonicalText == #"{"agreement":5,"scope":["a"],"validUntil":"2027-06-30"}"#)
        #expect(JSONValue.object(DomainEvent.materialAttached(MaterialAttachment(requirement: "r", material: 1, version: 1, name: "n", sha256: "00")).payload)
                .canonicalText == #"{"material":1,"name":"n","requirement":"r","sha256":"00","version":1}"#)
        #expect(JSONValue.object(Self.events.last!.payload).canonicalText
                == #"{"criticalPath":["a","c"],"forecastDays":95,"level":"red","reason":"forecast","totalLimit":90,"usedDays":60}"#)
    }

    /// The requirements a supplement request names (each with the version found deficient, or none) and those a
    /// 容缺 commitment covers: stored only when there are some, so older payloads keep their shape.
    @Test func requirementsNamedBySupplementsAndCommitmentsRoundTrip() throws {
        let supplement = DomainEvent.item(ItemTransition(.suspend(.supplement(missingMaterials: ["宗地图"], requirements: [
            RequestedMaterial(requirement: "boundary-survey", deficient: "ab12"), RequestedMaterial(requirement: "application-form", deficient: nil),
        ])), from: .accepted, to: .suspended))
        let commitment = DomainEvent.item(ItemTransition(.accept(commitment: DeficiencyCommitment(
            missingMaterials: ["设备清单"], requirements: ["equipment-list"], dueDate: day("2026-03-20"))), from: .submitted, to: .accepted))
        for event in [supplement, commitment] {
            #expect(try DomainEvent(kind: event.kind, payload: .object(event.payload)) == event)
        }
        #expect(JSONValue.object(supplement.payload).canonicalText
                == #"{"action":"suspend","from":"accepted","missingMaterials":["宗地图"],"reason":"supplement","requirements":[["boundary-survey","ab12"],["application-form",null]],"to":"suspended"}"#)
        #expect(JSONValue.object(commitment.payload).canonicalText
                == #"{"action":"accept","commitment":{"dueDate":"2026-03-20","missingMaterials":["设备清单"],"requirements":["equipment-list"]},"from":"submitted","to":"accepted"}"#)
    }

    @Test func aPayloadNoVersionWroteIsRefusedNamingTheField() {
        #expect(throws: StoredEventError.self) { try DomainEvent(kind: .agentEnded, payload: .object(["agent": .string("seven")])) }
        do {
            _ = try DomainEvent(kind: .caseResolved, payload: .object(["case": .int(1), "meetingOn": .string("yesterday"), "outcome": .string("x")]))
            Issue.record("accepted a date that is not one")
        } catch {
            #expect(error.description.contains("meetingOn"))
        }
    }
}
