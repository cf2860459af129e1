/// Supervision warning (电子监察): yellow before a deadline, red when it has passed.
public enum WarningLevel: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case none
    case yellow
    case red

    public static func < (lhs: WarningLevel, rhs: WarningLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
