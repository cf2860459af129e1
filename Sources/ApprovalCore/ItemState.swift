/// The states of an item (DOMAIN.md "Item states").
public enum ItemState: String, Sendable, Hashable, Codable, CaseIterable {
    /// A prerequisite is still open.
    case blocked
    /// May be applied for.
    case ready
    /// Materials handed in, not yet accepted (受理): the clock has not started.
    case submitted
    /// On the government side: the clock runs.
    case accepted
    /// Supplement requested (补正) or in an excluded procedure: the clock stops.
    case suspended
    case approved
    case rejected
    /// Deemed approved (超时默认 / 缺席默认).
    case defaultApproved = "default_approved"
    case withdrawn
    /// The item's condition does not hold for this project.
    case notApplicable = "not_applicable"
    /// Removed by an exemption (区域评估, 审批豁免清单) with its source.
    case exempted

    /// The item needs no further decision.
    public var hasEnded: Bool {
        switch self {
        case .approved, .rejected, .defaultApproved, .withdrawn, .notApplicable, .exempted: true
        case .blocked, .ready, .submitted, .accepted, .suspended: false
        }
    }

    /// Dependents may proceed: the item ended in a way that does not stand in their way.
    public var releasesDependents: Bool {
        switch self {
        case .approved, .defaultApproved, .notApplicable, .exempted: true
        default: false
        }
    }
}

/// Why a default approval happened.
public enum DefaultApprovalReason: String, Sendable, Hashable, Codable {
    /// 超时默认: the limit passed while the clock ran.
    case timeout
    /// 缺席默认: the department was absent from the joint review without approved leave.
    case absence
}

/// Why an item's clock stopped. Only government time counts: the applicant's supplement time and the
/// procedures 行政许可法 第45条 excludes are not counted against the department.
public enum ClockStopReason: Sendable, Hashable, Codable {
    /// 补正: the one-time notification (一次性告知) must list everything missing at once: the application's
    /// requirements found missing or deficient, and in words whatever lies outside its list.
    case supplement(missingMaterials: [String], requirements: [RequestedMaterial] = [])
    /// 听证
    case hearing
    /// 专家评审
    case expertReview
    /// 公示 / 公告
    case publicNotice
    /// 中介服务: owner-commissioned intermediary work (surveys, assessments).
    case intermediaryWork
    /// 检验、检测
    case inspectionTesting
    /// 鉴定
    case appraisal
    /// 招标、拍卖
    case biddingAuction

    public var code: String {
        switch self {
        case .supplement: "supplement"
        case .hearing: "hearing"
        case .expertReview: "expert_review"
        case .publicNotice: "public_notice"
        case .intermediaryWork: "intermediary_work"
        case .inspectionTesting: "inspection_testing"
        case .appraisal: "appraisal"
        case .biddingAuction: "bidding_auction"
        }
    }

    public var chineseName: String {
        switch self {
        case .supplement: "补正材料"
        case .hearing: "听证"
        case .expertReview: "专家评审"
        case .publicNotice: "公示"
        case .intermediaryWork: "中介服务"
        case .inspectionTesting: "检验检测"
        case .appraisal: "鉴定"
        case .biddingAuction: "招标拍卖"
        }
    }
}

/// A clock stop and, once resumed, its end.
public struct ClockStop: Sendable, Hashable, Codable {
    public let reason: ClockStopReason
    public let stoppedOn: CivilDate
    public var resumedOn: CivilDate?
}

/// A running interval of an item's clock: working days in (start, end] count.
public struct RunningInterval: Sendable, Hashable, Codable {
    public let start: CivilDate
    public let end: CivilDate

    public init(start: CivilDate, end: CivilDate) {
        self.start = start
        self.end = end
    }
}

/// 容缺受理: accepted with non-core materials missing on the investor's written commitment to supply them.
public struct DeficiencyCommitment: Sendable, Hashable, Codable {
    public let missingMaterials: [String]
    /// The non-core requirements of the item's application it covers; fulfilling it means attaching them.
    public let requirements: [String]
    /// The last day the investor promised to supply them.
    public let dueDate: CivilDate
    public var fulfilledOn: CivilDate?

    public init(missingMaterials: [String], requirements: [String] = [], dueDate: CivilDate, fulfilledOn: CivilDate? = nil) {
        self.missingMaterials = missingMaterials
        self.requirements = requirements
        self.dueDate = dueDate
        self.fulfilledOn = fulfilledOn
    }

    /// Broken once its due date has passed without fulfilment; recorded against the investor and escalated.
    public func isBroken(asOf today: CivilDate) -> Bool { fulfilledOn == nil && today > dueDate }
}

/// 延期 (行政许可法 §42): an extension of an item's limit, asked for by its reviewer and decided by the head of the
/// department. The project's total limit does not move.
public struct TimeExtension: Sendable, Hashable {
    public let days: Int
    public let reason: String
    public let requestedOn: CivilDate
    public private(set) var decidedOn: CivilDate?
    /// Nil until decided.
    public private(set) var granted: Bool?

    public init(days: Int, reason: String, requestedOn: CivilDate, decidedOn: CivilDate? = nil, granted: Bool? = nil) {
        self.days = days
        self.reason = reason
        self.requestedOn = requestedOn
        self.decidedOn = decidedOn
        self.granted = granted
    }

    /// The working days it adds to the item's limit.
    public var grantedDays: Int { granted == true ? days : 0 }

    mutating func decide(granted: Bool, on date: CivilDate) {
        self.granted = granted
        decidedOn = date
    }
}
