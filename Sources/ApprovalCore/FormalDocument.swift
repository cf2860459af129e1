import Foundation

/// The formal approval document a department owes after a default approval (超时默认): due within 1 working day.
public struct FormalDocument: Sendable, Hashable {
    public let itemID: String
    public let department: String
    public let defaultApprovedOn: CivilDate
    public let dueOn: CivilDate
    public let issuedOn: CivilDate?
    public let documentNumber: String?
    public let overdueOn: CivilDate?

    public init(itemID: String, department: String, defaultApprovedOn: CivilDate, dueOn: CivilDate, issuedOn: CivilDate?,
                documentNumber: String?, overdueOn: CivilDate?) {
        self.itemID = itemID
        self.department = department
        self.defaultApprovedOn = defaultApprovedOn
        self.dueOn = dueOn
        self.issuedOn = issuedOn
        self.documentNumber = documentNumber
        self.overdueOn = overdueOn
    }
}

extension FormalDocument {
    /// Owed after a default approval on `defaultApprovedOn`, not yet issued.
    public static func owed(itemID: String, department: String, defaultApprovedOn: CivilDate, dueOn: CivilDate) -> FormalDocument {
        FormalDocument(itemID: itemID, department: department, defaultApprovedOn: defaultApprovedOn, dueOn: dueOn,
                       issuedOn: nil, documentNumber: nil, overdueOn: nil)
    }

    public func markedOverdue(on date: CivilDate) -> FormalDocument {
        FormalDocument(itemID: itemID, department: department, defaultApprovedOn: defaultApprovedOn, dueOn: dueOn,
                       issuedOn: issuedOn, documentNumber: documentNumber, overdueOn: overdueOn ?? date)
    }

    public func issued(_ number: String, on date: CivilDate) -> FormalDocument {
        FormalDocument(itemID: itemID, department: department, defaultApprovedOn: defaultApprovedOn, dueOn: dueOn,
                       issuedOn: date, documentNumber: number, overdueOn: overdueOn)
    }

    /// The document owed for `item` that the department may now record as issued: one is owed only after a default
    /// approval, and is recorded once.
    public static func toRecord(_ owed: FormalDocument?, item: ProjectItem) throws(FormalDocumentRefusal) -> FormalDocument {
        guard let owed else {
            throw FormalDocumentRefusal(message: "item '\(item.id)' owes no formal document: that follows a default approval, and it is \(item.state.rawValue)")
        }
        if let issuedOn = owed.issuedOn {
            throw FormalDocumentRefusal(message: "the formal document for '\(item.id)' was already recorded on \(issuedOn) (\(owed.documentNumber ?? ""))")
        }
        return owed
    }
}

/// Why a formal document cannot be recorded: a conflict with the item's state, never a server error.
public struct FormalDocumentRefusal: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
