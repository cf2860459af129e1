/// Supervision warning (电子监察): yellow before a deadline, red when it has passed.
public enum WarningLevel: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case none
    case yellow
    case red

    public static func < (lhs: WarningLevel, rhs: WarningLevel) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .none: 0
        case .yellow: 1
        case .red: 2
        }
    }
}
