/// Working days counted over a set of running intervals, each (start, end].
///
/// Parallel items do not add up: a day counts once if at least one interval covers it. Intervals are mapped to
/// workday ordinals, where working days in (S, E] are exactly the ordinals in (ord(S), ord(E)], then merged.
public enum ProjectClock {
    public static func usedDays(_ intervals: [RunningInterval], calendar: WorkdayCalendar) -> Int {
        let spans = intervals
            .map { (calendar.ordinal($0.start), calendar.ordinal($0.end)) }
            .filter { $0.0 < $0.1 }
            .sorted { $0.0 < $1.0 }
        var total = 0
        var current: (Int, Int)?
        for span in spans {
            if let open = current, span.0 <= open.1 {
                current = (open.0, max(open.1, span.1))
            } else {
                if let open = current { total += open.1 - open.0 }
                current = span
            }
        }
        if let open = current { total += open.1 - open.0 }
        return total
    }
}
