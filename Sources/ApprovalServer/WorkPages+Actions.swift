import ApprovalAPI
import ApprovalCore
import ApprovalStore

/// One item action as a form of the working pages: what it asks for besides the button.
struct PageAction {
    enum Requirements { case none, all, nonCoreMissing }

    let action: String
    let label: String
    var reason: String?
    var extensionDays: Int?
    var documentNumber = false
    var requirements = Requirements.none
    var missing = false
    var dueDate = false
    var suspensionReason = false
    var danger = false

    var simple: Bool { reason == nil && extensionDays == nil && !documentNumber && requirements == .none && !missing && !dueDate && !suspensionReason }
}

extension WorkPages {
    /// The actions the item's state offers, those the API would let this user perform (`Access`, the one rule): a
    /// form the API still refuses (a material missing, say) shows why.
    static func itemActions(_ item: Components.Schemas.ItemStatus, definition: ItemDefinition?, user: User, projectRegion: String) -> [PageAction] {
        var offered: [PageAction] = []
        switch item.state {
        case .ready:
            offered.append(PageAction(action: "submit", label: "提交申请"))
        case .submitted:
            offered.append(PageAction(action: "accept", label: "受理"))
            if definition?.allowsDeficiencyAcceptance == true {
                offered.append(PageAction(action: "accept", label: "容缺受理", requirements: .nonCoreMissing, missing: true, dueDate: true))
            }
        case .accepted:
            offered += [PageAction(action: "approve", label: "批准"), reject, supplement,
                        PageAction(action: "suspend", label: "特别程序（暂停计时）", suspensionReason: true)]
            if let days = definition?.extensionDays, days > 0, item._extension == nil {
                offered.append(PageAction(action: "requestExtension", label: "申请延期", reason: "延期理由", extensionDays: days))
            }
            if item._extension.map({ $0.decidedOn == nil }) == true { offered += extensionDecision }
        case .suspended where item.suspension?.reason == "supplement":
            offered.append(PageAction(action: "resubmit", label: "补正后重新提交"))
        case .suspended:
            offered.append(PageAction(action: "resume", label: "恢复计时"))
        default:
            break
        }
        if let commitment = item.commitment, commitment.fulfilledOn == nil {
            offered.append(PageAction(action: "fulfilCommitment", label: "容缺材料已补齐"))
        }
        if let document = item.formalDocument, document.issuedOn == nil {
            offered.append(PageAction(action: "recordFormalDocument", label: "登记正式文书", documentNumber: true))
        }
        return offered.filter { allowed($0, itemID: item.id, department: item.department, user: user, projectRegion: projectRegion) }
    }

    /// The actions offered beside a queue entry: the bucket's usual decisions; the rest are on the project's page.
    static func queueActions(_ entry: Components.Schemas.QueueEntry, user: User) -> [PageAction] {
        let offered: [PageAction] = switch entry.bucket {
        case .toAccept: [PageAction(action: "accept", label: "受理")]
        case .toDecide: [PageAction(action: "approve", label: "批准"), reject]
        case .extensionsToDecide: extensionDecision
        case .formalDocumentsOwed: [PageAction(action: "recordFormalDocument", label: "登记正式文书", documentNumber: true)]
        case .commitmentsDue: [PageAction(action: "fulfilCommitment", label: "容缺材料已补齐")]
        case .waitingOnApplicant: []
        }
        return offered.filter { allowed($0, itemID: entry.item, department: entry.department, user: user, projectRegion: entry.projectRegion) }
    }

    private static func allowed(_ action: PageAction, itemID: String, department: String, user: User, projectRegion: String) -> Bool {
        guard let kind = Access.ItemActionKind(rawValue: action.action) else { return false }
        return (try? Access.checkMayPerform(kind, itemID: itemID, department: department, user: user, projectRegion: projectRegion)) != nil
    }

    private static let reject = PageAction(action: "reject", label: "不予许可", reason: "不予许可的理由和依据", danger: true)
    private static let supplement = PageAction(action: "suspend", label: "一次性告知补正", requirements: .all, missing: true)
    private static let extensionDecision = [PageAction(action: "grantExtension", label: "同意延期"),
                                            PageAction(action: "refuseExtension", label: "不同意延期", reason: "不同意的理由", danger: true)]
}

/// What every form of a page carries: the session's CSRF value, a fresh idempotency key, the page to come back to.
struct FormContext {
    let csrf: String
    let back: String

    func values() -> [String: Any] {
        ["csrf": csrf, "key": UserRepository.makeSecret(), "back": back]
    }

    func action(_ action: PageAction, project: String, item: String, materials: [Components.Schemas.ItemMaterial] = []) -> [String: Any] {
        let offered: [Components.Schemas.ItemMaterial] = switch action.requirements {
        case .none: []
        case .all: materials
        case .nonCoreMissing: materials.filter { !$0.core && $0.attached == nil }
        }
        var values = self.values()
        values.merge([
            "path": "/m/projects/\(project)/items/\(item)/action", "action": action.action, "label": action.label, "simple": action.simple,
            "style": action.danger ? "danger" : "primary", "reason": action.reason ?? false, "extensionDays": action.extensionDays ?? false,
            "documentNumber": action.documentNumber, "missing": action.missing, "dueDate": action.dueDate,
            "requirements": offered.map { ["id": $0.requirement, "name": $0.name + ($0.core ? "（核心）" : "")] }, "hasRequirements": !offered.isEmpty,
            "hasSuspensionReasons": action.suspensionReason,
            "suspensionReasons": WorkPages.suspensionNames.filter { $0.key != "supplement" }.sorted { $0.key < $1.key }.map { ["value": $0.key, "label": $0.value] },
        ]) { _, new in new }
        return values
    }
}
