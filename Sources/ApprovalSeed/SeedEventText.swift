import ApprovalStore
import ApprovalCore

/// What an event says apart from its project and actor: the middle of its canonical text
/// (`AuditChain.canonicalMiddle`) and its COPY row's fields from `on_date` to `payload`. A shape's events are
/// written once and shared by every project that shares its history: escaping and canonical JSON per event were
/// the largest part of the generator's own time.
struct SeedEventText {
    let kind: EventKind
    let canonicalMiddle: [UInt8]
    let rowMiddle: [UInt8]

    /// The events table's columns in the order the generator writes them: the project's own fields, then `rowMiddle`.
    static let columns = ["project_id", "seq", "at", "actor_id", "on_date", "kind", "item_id", "payload", "prev_hash", "hash"]

    init(kind: EventKind, itemID: String?, on: CivilDate, canonicalPayload: [UInt8]) {
        self.kind = kind
        canonicalMiddle = AuditChain.canonicalMiddle(onDate: on.description, kind: kind.text, itemID: itemID, canonicalPayload: canonicalPayload)
        rowMiddle = CopyRows.fields(.date(on), .text(kind.text), itemID.map(CopyRows.Field.text), .json(canonicalPayload))
    }

    init(_ event: DomainEvent, itemID: String?, on: CivilDate) {
        self.init(kind: event.kind, itemID: itemID, on: on, canonicalPayload: JSONValue.object(event.payload).canonicalBytes)
    }
}
