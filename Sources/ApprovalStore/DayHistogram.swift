/// How many items or projects took each whole number of days: what the report tallies keep instead of the rows,
/// from which the medians and p90s come out exactly as PostgreSQL's `percentile_cont` would give over the rows.
struct DayHistogram: Sendable {
    private(set) var counts: [Int: Int] = [:]
    private(set) var total = 0

    mutating func add(_ days: Int, count: Int) {
        guard count != 0 else { return }
        counts[days, default: 0] += count
        total += count
    }

    /// `percentile_cont(fraction)`: the value at position fraction × (n − 1) of the sorted values, interpolated
    /// linearly between its two neighbours.
    func percentile(_ fraction: Double) -> Double? {
        guard total > 0 else { return nil }
        let position = fraction * Double(total - 1)
        let lowerRank = Int(position.rounded(.down))
        let upperRank = Int(position.rounded(.up))
        var lower: Int?
        var upper: Int?
        var seen = 0
        for (days, count) in counts.sorted(by: { $0.key < $1.key }) where count > 0 {
            seen += count
            if lower == nil, lowerRank < seen { lower = days }
            if upperRank < seen { upper = days; break }
        }
        guard let lower, let upper else { return nil }
        return Double(lower) + (position - Double(lowerRank)) * Double(upper - lower)
    }
}
