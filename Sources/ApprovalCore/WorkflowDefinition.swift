/// What happens when a department lets an item's limit pass without a lawful pause.
public enum TimeoutPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// 超时默认: deemed approved; the department owes the formal document within 1 working day.
    case defaultApprove = "default_approve"
    /// Silent approval would be unsafe (fire safety, civil air defence): escalate and keep the item open.
    case escalate
}

/// One approval item (审批事项) of a stage, decided by one department within a limit in working days.
public struct ItemDefinition: Sendable, Hashable {
    public let id: String
    public let name: String
    public let department: String
    public let limit: Int
    public let dependsOn: [String]
    /// The item applies only when this holds; otherwise the item is `not_applicable`.
    public let condition: ItemCondition?
    /// When this holds the item is `exempted`, with `exemptionSource` as the reason (e.g. a regional assessment).
    public let exemptWhen: ItemCondition?
    public let exemptionSource: String?
    public let onTimeout: TimeoutPolicy
    /// 容缺受理: may be accepted with non-core materials missing on the investor's written commitment.
    public let allowsDeficiencyAcceptance: Bool
    public let stageID: String
    /// What an application for it must carry (申请材料清单).
    public var requirements: [MaterialRequirement] = []
    /// The kind of document it issues once decided (a licence, permit or opinion), for the items after it.
    public var produces: String?
    /// The most working days a department head may extend its limit by (延期); 0: its limit is never extended.
    public var extensionDays: Int = 0

    /// 行政许可法 §42: 经本行政机关负责人批准，可以延长十日.
    public static let maximumExtensionDays = 10
}

/// A stage (审批阶段) — a container of parallel items with one lead department (一家牵头) and a time limit.
public struct StageDefinition: Sendable, Hashable {
    public let id: String
    public let name: String
    public let leadDepartment: String
    public let limit: Int
    public let items: [ItemDefinition]
}

/// A limit over consecutive stages, e.g. "≤60 working days up to the construction permit".
public struct PhaseLimit: Sendable, Hashable {
    public let id: String
    public let name: String
    public let stages: [String]
    public let limit: Int
}

/// Thresholds of the supervision warnings (电子监察 黄牌/红牌), per workflow.
public struct WarningThresholds: Sendable, Hashable {
    /// Item yellow when remaining ≤ max(itemYellowMinimumDays, ⌈itemYellowFraction × limit⌉).
    public var itemYellowFraction: Double = 0.2
    public var itemYellowMinimumDays: Int = 1
    /// Project yellow when used ≥ projectYellowFraction × total limit, or the forecast exceeds the total.
    public var projectYellowFraction: Double = 0.8

    public init() {}

    public func itemYellowDays(limit: Int) -> Int {
        max(itemYellowMinimumDays, Int((itemYellowFraction * Double(limit)).rounded(.up)))
    }
}

/// A declarative workflow (审批流程) loaded from YAML. Projects keep the version they started with.
public struct WorkflowDefinition: Sendable, Hashable {
    public let id: String
    public let version: Int
    public let name: String
    public let calendarID: String
    public let totalLimit: Int
    public let warnings: WarningThresholds
    public let attributes: [AttributeDeclaration]
    public let stages: [StageDefinition]
    public let phases: [PhaseLimit]
    /// The file it came from, kept for messages.
    public let file: String

    public var items: [ItemDefinition] { stages.flatMap(\.items) }

    public func item(_ id: String) -> ItemDefinition? { items.first { $0.id == id } }

    /// The department that leads (牵头) the stage of this item: where its escalations go.
    public func leadDepartment(ofItem id: String) -> String? {
        stages.first { stage in stage.items.contains { $0.id == id } }?.leadDepartment
    }

    public func attribute(_ id: String) -> AttributeDeclaration? { attributes.first { $0.id == id } }
}
