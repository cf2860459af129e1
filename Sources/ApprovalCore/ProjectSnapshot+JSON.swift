/// How a snapshot is kept in the projects row: compact JSON of positional arrays, dates as day numbers, written
/// and read by hand. Every write and every sweeper visit writes one, and Foundation's JSONEncoder made that the
/// largest part of a change's own time (BENCHMARKS.md).
extension ProjectSnapshot {
    public var json: JSONValue {
        .object(["calendar": .string(calendar), "items": .array(items.map(\.json))])
    }

    /// The snapshot `json` wrote; throws for anything else (then the events are replayed instead).
    public init(json: JSONValue) throws(StoredEventError) {
        guard case let .string(calendar)? = json["calendar"], case let .array(items)? = json["items"] else {
            throw StoredEventError(message: "a project snapshot without its calendar or items")
        }
        self.init(calendar: calendar, items: try items.map { (item) throws(StoredEventError) in try ItemSnapshot(json: item) })
    }
}

extension ProjectSnapshot.ItemSnapshot {
    var json: JSONValue {
        .array([
            .string(id), .string(state.rawValue),
            .array(history.map { .array([.string($0.action), .string($0.from.rawValue), .string($0.to.rawValue), $0.on.json, .optional($0.detail)]) }),
            .array(runs.map { .array([$0.start.json, $0.end.json]) }),
            runningSince.json,
            .array(stops.map { stop in
                var missing: [String] = [], requested: [RequestedMaterial] = []
                if case let .supplement(materials, requirements) = stop.reason { (missing, requested) = (materials, requirements) }
                var fields: [JSONValue] = [.string(stop.reason.code), .array(missing.map(JSONValue.string)), stop.stoppedOn.json, stop.resumedOn.json]
                // Written only when there are some: a request naming no requirement keeps the shape it always had.
                if !requested.isEmpty { fields.append(.array(requested.map(\.json))) }
                return .array(fields)
            }),
            deadline.json, .bool(deadlineProvisional),
            commitment.map {
                .array([.array($0.missingMaterials.map(JSONValue.string)), $0.dueDate.json, $0.fulfilledOn.json]
                    + ($0.requirements.isEmpty ? [] : [.array($0.requirements.map(JSONValue.string))]))
            } ?? .null,
            .int(Int64(supplementRequests)), escalatedOn.json, .optional(defaultApprovalReason?.rawValue), .optional(exemptionSource),
            .optional(rejectionReason), promisedBy.json,
        ] + (timeExtension.map { extended in
            // Written only when there is one: an item without keeps the shape it always had.
            [.array([.int(Int64(extended.days)), .string(extended.reason), extended.requestedOn.json, extended.decidedOn.json,
                     extended.granted.map(JSONValue.bool) ?? .null])]
        } ?? []))
    }

    init(json: JSONValue) throws(StoredEventError) {
        var fields = try SnapshotFields(json)
        id = try fields.string()
        state = try fields.state()
        history = try fields.list { (event) throws(StoredEventError) in
            var event = try SnapshotFields(event)
            return ItemEvent(action: try event.string(), from: try event.state(), to: try event.state(), on: try event.date(),
                             detail: try event.optionalString())
        }
        runs = try fields.list { (run) throws(StoredEventError) in
            var run = try SnapshotFields(run)
            return RunningInterval(start: try run.date(), end: try run.date())
        }
        runningSince = try fields.optionalDate()
        stops = try fields.list { (stop) throws(StoredEventError) in
            var stop = try SnapshotFields(stop)
            let code = try stop.string(), missing = try stop.strings(), stoppedOn = try stop.date(), resumedOn = try stop.optionalDate()
            let requested = try stop.trailingList { (value) throws(StoredEventError) in try RequestedMaterial(json: value) }
            guard let reason = ClockStopReason(code: code, missingMaterials: missing, requirements: requested) else {
                throw StoredEventError(message: "a project snapshot with an unknown clock stop '\(code)'")
            }
            return ClockStop(reason: reason, stoppedOn: stoppedOn, resumedOn: resumedOn)
        }
        deadline = try fields.optionalDate()
        deadlineProvisional = try fields.bool()
        commitment = try fields.optional { (commitment) throws(StoredEventError) in
            var commitment = try SnapshotFields(commitment)
            let missing = try commitment.strings(), dueDate = try commitment.date(), fulfilledOn = try commitment.optionalDate()
            let requirements = try commitment.trailingList { (value) throws(StoredEventError) in
                guard case let .string(id) = value else { throw StoredEventError(message: "a project snapshot with a requirement that is not text") }
                return id
            }
            return DeficiencyCommitment(missingMaterials: missing, requirements: requirements, dueDate: dueDate, fulfilledOn: fulfilledOn)
        }
        supplementRequests = Int(try fields.int())
        escalatedOn = try fields.optionalDate()
        let reason = try fields.optionalString()
        defaultApprovalReason = try reason.map { (text) throws(StoredEventError) in
            guard let reason = DefaultApprovalReason(rawValue: text) else { throw StoredEventError(message: "a project snapshot with reason '\(text)'") }
            return reason
        }
        exemptionSource = try fields.optionalString()
        rejectionReason = try fields.optionalString()
        promisedBy = try fields.optionalDate()
        timeExtension = try fields.trailing { (extended) throws(StoredEventError) in
            var extended = try SnapshotFields(extended)
            let days = Int(try extended.int()), reason = try extended.string(), requestedOn = try extended.date(), decidedOn = try extended.optionalDate()
            return TimeExtension(days: days, reason: reason, requestedOn: requestedOn, decidedOn: decidedOn, granted: try extended.optionalBool())
        }
    }
}

/// The fields of one positional array of a snapshot, read in order.
private struct SnapshotFields {
    private let values: [JSONValue]
    private var next = 0

    init(_ json: JSONValue) throws(StoredEventError) {
        guard case let .array(values) = json else { throw StoredEventError(message: "a project snapshot that is not as written") }
        self.values = values
    }

    private mutating func value() throws(StoredEventError) -> JSONValue {
        guard next < values.count else { throw StoredEventError(message: "a project snapshot with a field missing") }
        defer { next += 1 }
        return values[next]
    }

    mutating func string() throws(StoredEventError) -> String {
        guard case let .string(text) = try value() else { throw StoredEventError(message: "a project snapshot with a text field that is not") }
        return text
    }

    mutating func optionalString() throws(StoredEventError) -> String? {
        switch try value() {
        case .null: return nil
        case let .string(text): return text
        default: throw StoredEventError(message: "a project snapshot with a text field that is not")
        }
    }

    mutating func int() throws(StoredEventError) -> Int64 {
        guard case let .int(number) = try value() else { throw StoredEventError(message: "a project snapshot with a number field that is not") }
        return number
    }

    mutating func bool() throws(StoredEventError) -> Bool {
        guard case let .bool(flag) = try value() else { throw StoredEventError(message: "a project snapshot with a flag that is not") }
        return flag
    }

    mutating func date() throws(StoredEventError) -> CivilDate {
        let day = try int()
        // Day numbers of the years CivilDate accepts from people, with room: anything else was not written here.
        guard abs(day) < 1_000_000 else { throw StoredEventError(message: "a project snapshot with day number \(day)") }
        return CivilDate(dayNumber: Int(day))
    }

    mutating func optionalDate() throws(StoredEventError) -> CivilDate? {
        if case .null = values.indices.contains(next) ? values[next] : .null {
            next += 1
            return nil
        }
        return try date()
    }

    mutating func state() throws(StoredEventError) -> ItemState {
        let text = try string()
        guard let state = ItemState(rawValue: text) else { throw StoredEventError(message: "a project snapshot with state '\(text)'") }
        return state
    }

    mutating func strings() throws(StoredEventError) -> [String] {
        guard case let .array(values) = try value() else { throw StoredEventError(message: "a project snapshot with a list that is not") }
        return values.compactMap(\.stringValue)
    }

    mutating func list<Element>(_ read: (JSONValue) throws(StoredEventError) -> Element) throws(StoredEventError) -> [Element] {
        guard case let .array(values) = try value() else { throw StoredEventError(message: "a project snapshot with a list that is not") }
        var elements: [Element] = []
        elements.reserveCapacity(values.count)
        for value in values { elements.append(try read(value)) }
        return elements
    }

    /// A list written only when it has elements, as the last field: empty when absent.
    mutating func trailingList<Element>(_ read: (JSONValue) throws(StoredEventError) -> Element) throws(StoredEventError) -> [Element] {
        guard next < values.count else { return [] }
        return try list(read)
    }

    /// A field written only when it has a value, as the last one: nil when absent.
    mutating func trailing<Element>(_ read: (JSONValue) throws(StoredEventError) -> Element) throws(StoredEventError) -> Element? {
        guard next < values.count else { return nil }
        return try optional(read)
    }

    mutating func optionalBool() throws(StoredEventError) -> Bool? {
        let json = try value()
        if case .null = json { return nil }
        guard case let .bool(flag) = json else { throw StoredEventError(message: "a project snapshot with a flag that is not") }
        return flag
    }

    mutating func optional<Element>(_ read: (JSONValue) throws(StoredEventError) -> Element) throws(StoredEventError) -> Element? {
        let json = try value()
        if case .null = json { return nil }
        return try read(json)
    }
}

private extension CivilDate {
    var json: JSONValue { .int(Int64(dayNumber)) }
}

private extension Optional where Wrapped == CivilDate {
    var json: JSONValue { map(\.json) ?? .null }
}

private extension JSONValue {
    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
}
