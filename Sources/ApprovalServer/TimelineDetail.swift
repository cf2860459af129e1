import ApprovalCore
import ApprovalStore

/// A one-line human description of an event's payload for the timeline.
enum TimelineDetail {
    static func describe(_ payload: JSONValue) -> String? {
        var parts: [String] = []
        if let reason = payload["reason"]?.stringValue { parts.append(reason) }
        if case let .array(missing)? = payload["missingMaterials"] {
            parts.append("missing: " + missing.compactMap(\.stringValue).joined(separator: "; "))
        }
        if let commitment = payload["commitment"], case let .array(missing)? = commitment["missingMaterials"] {
            parts.append("容缺 commitment: " + missing.compactMap(\.stringValue).joined(separator: "; ")
                         + " by " + (commitment["dueDate"]?.stringValue ?? "?"))
        }
        if let source = payload["source"]?.stringValue { parts.append("source: \(source)") }
        if let investor = payload["onBehalfOf"]?.stringValue {
            parts.append("agent \(payload["agentName"]?.stringValue ?? "") for investor \(investor)")
        } else if let agent = payload["agentName"]?.stringValue {
            parts.append("agent: \(agent)")
        }
        if let name = payload["name"]?.stringValue { parts.append(name) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
