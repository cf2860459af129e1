/// The one codec between typed events and their stored JSON payloads. A payload's shape never changes once
/// written (the audit chain hashes it, and integrations read it), so a new field is optional when read back.
extension DomainEvent {
    public var payload: [String: JSONValue] {
        switch self {
        case let .projectCreated(created):
            return ["code": .string(created.code), "codeIssuedLocally": .bool(created.codeIssuedLocally), "name": .string(created.name),
                    "investorOrganisation": .string(created.investorOrganisation), "region": .string(created.region),
                    "workflow": .string(created.workflow), "workflowVersion": .int(Int64(created.workflowVersion)),
                    "workflowDigest": .string(created.workflowDigest), "attributes": .object(created.attributes.mapValues(\.json))]
        case let .projectRenamed(from, to):
            return ["from": .string(from), "to": .string(to)]
        case let .item(transition):
            var payload = transition.action.payload
            payload["from"] = .string(transition.from.rawValue)
            payload["to"] = .string(transition.to.rawValue)
            if transition.resubmitted { payload["as"] = .string("resubmit") }
            if let onBehalf = transition.onBehalf {
                payload["onBehalfOf"] = .string(onBehalf.organisation)
                payload["agentName"] = .string(onBehalf.agentName)
            }
            if let meeting = transition.meeting { payload["meeting"] = .int(meeting) }
            if let promisedDays = transition.promisedDays { payload["promisedDays"] = .int(Int64(promisedDays)) }
            if let leadDepartment = transition.leadDepartment { payload["leadDepartment"] = .string(leadDepartment) }
            if let granted = transition.extensionGranted {
                payload["days"] = .int(Int64(granted.days))
                payload["reason"] = .string(granted.reason)
                if let deadline = granted.deadline { payload["deadline"] = .string(deadline.description) }
            }
            return payload
        case let .formalDocumentIssued(number, dueOn, late):
            return ["documentNumber": .string(number), "dueOn": .string(dueOn.description), "late": .bool(late)]
        case let .formalDocumentOverdue(department, dueOn):
            return ["department": .string(department), "dueOn": .string(dueOn.description)]
        case let .meetingScheduled(meeting, kind, stage, scheduledOn, invitations):
            return ["meeting": .int(meeting), "kind": .string(kind), "stage": .string(stage), "scheduledOn": .string(scheduledOn.description),
                    "invitations": .object(invitations.mapValues { .array($0.map(JSONValue.string)) })]
        case let .meetingClosed(meeting, attendance):
            return ["meeting": .int(meeting), "attendance": .object(attendance.mapValues(JSONValue.string))]
        case let .meetingAbsenceEscalated(meeting, department, leadDepartment):
            return ["meeting": .int(meeting), "department": .string(department), "leadDepartment": .string(leadDepartment)]
        case let .agentAssigned(agent, agentName):
            return ["agent": .int(agent), "agentName": .string(agentName)]
        case let .agentHandedOver(from, fromName, agent, agentName, reason, handoverNote):
            return ["from": .int(from), "fromName": .string(fromName), "agent": .int(agent), "agentName": .string(agentName),
                    "reason": .string(reason), "handoverNote": .string(handoverNote)]
        case let .agentEnded(agent, reason):
            return ["agent": .int(agent), "reason": .string(reason)]
        case let .agentFollowUpOverdue(agent, nextStepOn, progress):
            return ["agent": .int(agent), "nextStepOn": .string(nextStepOn.description), "progress": .int(progress)]
        case let .agreement(event):
            var payload: [String: JSONValue] = ["agreement": .int(event.agreement)]
            if let scope = event.scope { payload["scope"] = .array(scope.map(JSONValue.string)) }
            if let startsOn = event.startsOn { payload["startsOn"] = .string(startsOn.description) }
            if let validUntil = event.validUntil { payload["validUntil"] = .string(validUntil.description) }
            if let reason = event.reason { payload["reason"] = .string(reason) }
            // Only when true, so events written before it was recorded keep their stored shape.
            if event.onPaper { payload["onPaper"] = .bool(true) }
            return payload
        case let .progressLogged(progress, kind, text, nextStepOn):
            var payload: [String: JSONValue] = ["progress": .int(progress), "type": .string(kind.rawValue), "text": .string(text)]
            if let nextStepOn { payload["nextStepOn"] = .string(nextStepOn.description) }
            return payload
        case let .caseRaised(id, title):
            return ["case": .int(id), "title": .string(title)]
        case let .caseResolved(id, meetingOn, outcome):
            return ["case": .int(id), "meetingOn": .string(meetingOn.description), "outcome": .string(outcome)]
        case let .rated(_, subject, score, agent):
            var payload: [String: JSONValue] = ["subject": .string(subject), "score": .int(Int64(score))]
            if let agent { payload["agent"] = .int(agent) }
            return payload
        case let .itemWarning(remainingDays, deadline):
            return ["level": .string(WarningLevel.yellow.rawValue), "remainingDays": .int(Int64(remainingDays)),
                    "deadline": .string(deadline?.description ?? "")]
        case let .projectWarning(warning):
            return ["level": .string(warning.level.rawValue), "reason": .string(warning.reason), "usedDays": .int(Int64(warning.usedDays)),
                    "forecastDays": .int(Int64(warning.forecastDays)), "totalLimit": .int(Int64(warning.totalLimit)),
                    "criticalPath": .array(warning.criticalPath.map(JSONValue.string))]
        case let .materialAttached(attachment):
            return ["requirement": .string(attachment.requirement), "material": .int(attachment.material),
                    "version": .int(Int64(attachment.version)), "name": .string(attachment.name), "sha256": .string(attachment.sha256)]
        case let .materialDetached(requirement, material):
            return ["requirement": .string(requirement), "material": .int(material)]
        case let .materialIssued(material, kind, sha256):
            return ["material": .int(material), "kind": .string(kind), "sha256": .string(sha256)]
        }
    }

    /// The event a stored kind and payload record; throws for a payload no version of this server wrote.
    public init(kind: EventKind, payload: JSONValue) throws(StoredEventError) {
        let read = PayloadReader(kind: kind, payload: payload)
        switch kind {
        case .projectCreated:
            var attributes: [String: AttributeValue] = [:]
            if case let .object(fields)? = payload["attributes"] {
                for (key, value) in fields { attributes[key] = AttributeValue(json: value) }
            }
            self = .projectCreated(ProjectCreation(
                code: try read.string("code"), codeIssuedLocally: try read.bool("codeIssuedLocally"), name: try read.string("name"),
                investorOrganisation: try read.string("investorOrganisation"), region: try read.string("region"),
                workflow: try read.string("workflow"), workflowVersion: Int(try read.int("workflowVersion")),
                workflowDigest: try read.string("workflowDigest"), attributes: attributes))
        case .projectRenamed:
            self = .projectRenamed(from: try read.string("from"), to: try read.string("to"))
        case .item:
            var transition = ItemTransition(try ItemAction(payload: payload), from: try read.state("from"), to: try read.state("to"))
            transition.resubmitted = read.optionalString("as") == "resubmit"
            if let organisation = read.optionalString("onBehalfOf") {
                transition.onBehalf = OnBehalf(organisation: organisation, agentName: read.optionalString("agentName") ?? "")
            }
            transition.meeting = read.optionalInt("meeting")
            transition.promisedDays = read.optionalInt("promisedDays").map(Int.init)
            transition.leadDepartment = read.optionalString("leadDepartment")
            if case .grantExtension = transition.action, let days = read.optionalInt("days") {
                transition.extensionGranted = GrantedExtension(days: Int(days), reason: read.optionalString("reason") ?? "",
                                                               deadline: read.optionalString("deadline").flatMap(CivilDate.init(iso:)))
            }
            self = .item(transition)
        case .formalDocumentIssued:
            self = .formalDocumentIssued(number: try read.string("documentNumber"), dueOn: try read.date("dueOn"), late: try read.bool("late"))
        case .formalDocumentOverdue:
            self = .formalDocumentOverdue(department: try read.string("department"), dueOn: try read.date("dueOn"))
        case .meetingScheduled:
            var invitations: [String: [String]] = [:]
            if case let .object(fields)? = payload["invitations"] {
                for (department, items) in fields { invitations[department] = read.strings(items) }
            }
            self = .meetingScheduled(meeting: try read.int("meeting"), kind: try read.string("kind"), stage: try read.string("stage"),
                                     scheduledOn: try read.date("scheduledOn"), invitations: invitations)
        case .meetingClosed:
            var attendance: [String: String] = [:]
            if case let .object(fields)? = payload["attendance"] {
                for (department, status) in fields { attendance[department] = status.stringValue }
            }
            self = .meetingClosed(meeting: try read.int("meeting"), attendance: attendance)
        case .meetingAbsenceEscalated:
            self = .meetingAbsenceEscalated(meeting: try read.int("meeting"), department: try read.string("department"),
                                            leadDepartment: try read.string("leadDepartment"))
        case .agentAssigned:
            self = .agentAssigned(agent: try read.int("agent"), agentName: try read.string("agentName"))
        case .agentHandedOver:
            self = .agentHandedOver(from: try read.int("from"), fromName: try read.string("fromName"), agent: try read.int("agent"),
                                    agentName: try read.string("agentName"), reason: try read.string("reason"),
                                    handoverNote: try read.string("handoverNote"))
        case .agentEnded:
            self = .agentEnded(agent: try read.int("agent"), reason: try read.string("reason"))
        case .agentFollowUpOverdue:
            self = .agentFollowUpOverdue(agent: try read.int("agent"), nextStepOn: try read.date("nextStepOn"), progress: try read.int("progress"))
        case let .agreement(change):
            self = .agreement(AgreementEvent(change, agreement: try read.int("agreement"), scope: payload["scope"].map(read.strings),
                                             startsOn: try read.optionalDate("startsOn"), validUntil: try read.optionalDate("validUntil"),
                                             reason: read.optionalString("reason"), onPaper: payload["onPaper"] == .bool(true)))
        case .progressLogged:
            let type = try read.string("type")
            guard let progressKind = ProgressUpdate.Kind(rawValue: type) else { throw read.problem("unknown progress type '\(type)'") }
            self = .progressLogged(progress: try read.int("progress"), kind: progressKind, text: try read.string("text"),
                                   nextStepOn: try read.optionalDate("nextStepOn"))
        case .caseRaised:
            self = .caseRaised(case: try read.int("case"), title: try read.string("title"))
        case .caseResolved:
            self = .caseResolved(case: try read.int("case"), meetingOn: try read.date("meetingOn"), outcome: try read.string("outcome"))
        case .ratingGiven, .ratingChanged:
            self = .rated(changed: kind == .ratingChanged, subject: try read.string("subject"), score: Int(try read.int("score")),
                          agent: read.optionalInt("agent"))
        case .itemWarning:
            self = .itemWarning(remainingDays: Int(try read.int("remainingDays")), deadline: try read.optionalDate("deadline"))
        case .projectWarning:
            let level = try read.string("level")
            guard let warning = WarningLevel(rawValue: level) else { throw read.problem("unknown warning level '\(level)'") }
            self = .projectWarning(ProjectWarning(level: warning, reason: try read.string("reason"), usedDays: Int(try read.int("usedDays")),
                                                  forecastDays: Int(try read.int("forecastDays")), totalLimit: Int(try read.int("totalLimit")),
                                                  criticalPath: payload["criticalPath"].map(read.strings) ?? []))
        case .materialAttached:
            self = .materialAttached(MaterialAttachment(requirement: try read.string("requirement"), material: try read.int("material"),
                                                        version: Int(try read.int("version")), name: try read.string("name"),
                                                        sha256: try read.string("sha256")))
        case .materialDetached:
            self = .materialDetached(requirement: try read.string("requirement"), material: try read.int("material"))
        case .materialIssued:
            self = .materialIssued(material: try read.int("material"), kind: try read.string("kind"), sha256: try read.string("sha256"))
        }
    }
}

/// Fields of a stored payload, each missing or mistyped one an error naming the event and the field.
private struct PayloadReader {
    let kind: EventKind
    let payload: JSONValue

    func problem(_ message: String) -> StoredEventError {
        StoredEventError(message: "\(kind.text) event: \(message)")
    }

    func string(_ field: String) throws(StoredEventError) -> String {
        guard let value = payload[field]?.stringValue else { throw problem("no text field '\(field)'") }
        return value
    }

    func optionalString(_ field: String) -> String? { payload[field]?.stringValue }

    func int(_ field: String) throws(StoredEventError) -> Int64 {
        guard let value = optionalInt(field) else { throw problem("no integer field '\(field)'") }
        return value
    }

    func optionalInt(_ field: String) -> Int64? {
        guard case let .int(value)? = payload[field] else { return nil }
        return value
    }

    func bool(_ field: String) throws(StoredEventError) -> Bool {
        guard case let .bool(value)? = payload[field] else { throw problem("no boolean field '\(field)'") }
        return value
    }

    func date(_ field: String) throws(StoredEventError) -> CivilDate {
        guard let value = try optionalDate(field) else { throw problem("no date field '\(field)'") }
        return value
    }

    /// Absent or empty is nil; anything else must be a date.
    func optionalDate(_ field: String) throws(StoredEventError) -> CivilDate? {
        guard let text = payload[field]?.stringValue, !text.isEmpty else { return nil }
        guard let date = CivilDate(iso: text) else { throw problem("'\(text)' in '\(field)' is not a date") }
        return date
    }

    func state(_ field: String) throws(StoredEventError) -> ItemState {
        let text = try string(field)
        guard let state = ItemState(rawValue: text) else { throw problem("unknown item state '\(text)' in '\(field)'") }
        return state
    }

    func strings(_ value: JSONValue) -> [String] {
        guard case let .array(values) = value else { return [] }
        return values.compactMap(\.stringValue)
    }
}
