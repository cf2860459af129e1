import ApprovalCore
import Logging
import PostgresNIO

/// What each department has recently taken to decide an item (Migrations/0022), for the forecast from history.
public struct DepartmentPaces: Sendable {
    /// Fewer decided items than this make no pace: the city's figures give way to the province's, and those to
    /// the legal limit.
    public static let minimumDecided = 20

    /// Working days used → decided items, by department, per city and per province.
    private let cities: [String: [String: DayHistogram]]
    private let provinces: [String: [String: DayHistogram]]

    /// The tally's decisions from `sinceMonth` (YYYY-MM) on: the last 12 months when the caller asks so.
    public static func load(sinceMonth: String, on connection: PostgresConnection, logger: Logger) async throws -> DepartmentPaces {
        let rows = try await connection.query("""
            SELECT city, department, used_days, sum(items)::int FROM department_pace
            WHERE month >= \(sinceMonth) GROUP BY city, department, used_days HAVING sum(items) > 0
            """, logger: logger)
        var cities: [String: [String: DayHistogram]] = [:]
        var provinces: [String: [String: DayHistogram]] = [:]
        for try await (city, department, used, items) in rows.decode((String, String, Int, Int).self) {
            cities[city, default: [:]][department, default: DayHistogram()].add(used, count: items)
            provinces[String(city.prefix(2)), default: [:]][department, default: DayHistogram()].add(used, count: items)
        }
        return DepartmentPaces(cities: cities, provinces: provinces)
    }

    public static let none = DepartmentPaces(cities: [:], provinces: [:])

    /// The paces for a project in `region` (a 6-digit division code): its city's, or its province's where the city
    /// decided too few of a department's items.
    public func paces(forRegion region: String) -> [String: DepartmentPace] {
        let city = cities[String(region.prefix(4)) + "00"] ?? [:]
        let province = provinces[String(region.prefix(2))] ?? [:]
        var paces: [String: DepartmentPace] = [:]
        for department in Set(city.keys).union(province.keys) {
            guard let histogram = [city[department], province[department]].compactMap({ $0 }).first(where: { $0.total >= Self.minimumDecided }),
                  let median = histogram.percentile(0.5), let p90 = histogram.percentile(0.9) else { continue }
            paces[department] = DepartmentPace(median: median, p90: p90, decided: histogram.total)
        }
        return paces
    }
}
