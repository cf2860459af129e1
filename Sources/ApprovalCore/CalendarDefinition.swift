import Foundation
import Yams

/// A holiday of one year as the State Council's notice states it: the days off (放假) and the weekend days that
/// become working days (调休上班).
public struct Holiday: Sendable, Hashable {
    public let name: String
    public let daysOff: ClosedRange<CivilDate>
    public let makeUpWorkdays: [CivilDate]
}

/// One jurisdiction's calendar file: `calendars/<id>.yaml`, one entry per covered year with its notice.
public struct CalendarDefinition: Sendable {
    public let id: String
    public let name: String
    public let timeZoneIdentifier: String
    /// Where the file names its time zone, for an error about it.
    public let timeZoneLine: Int
    public let years: [Int: [Holiday]]
    public let sources: [Int: String]

    public func compile() -> WorkdayCalendar {
        var daysOff: [CivilDate: String] = [:], makeUp: [CivilDate: String] = [:]
        for holiday in years.values.joined() {
            for offset in 0...(holiday.daysOff.upperBound - holiday.daysOff.lowerBound) {
                daysOff[holiday.daysOff.lowerBound.adding(days: offset)] = holiday.name
            }
            for date in holiday.makeUpWorkdays { makeUp[date] = holiday.name }
        }
        let covered = years.keys.min()!...years.keys.max()!
        return WorkdayCalendar(id: id, name: name, timeZoneIdentifier: timeZoneIdentifier, coveredYears: covered,
                               daysOff: daysOff, makeUpWorkdays: makeUp)
    }

    /// Parses and checks a calendar file: dates real, in order, inside their year, never both off and working,
    /// make-up days on weekends, and covered years contiguous (a gap would silently count holidays as workdays).
    static func parse(_ text: String, reader: YAMLReader) -> CalendarDefinition? {
        guard let root = reader.compose(text),
              let top = reader.fields(root, of: "the calendar", required: ["id", "name", "time_zone", "years"])
        else { return nil }
        let id = reader.identifier(top, "id", in: "the calendar")
        let name = reader.string(top, "name", in: "the calendar")
        let zone = reader.string(top, "time_zone", in: "the calendar")
        if let zone, TimeZone(identifier: zone) == nil {
            reader.report("unknown time zone '\(zone)'; use an IANA name such as Asia/Shanghai", at: top["time_zone"])
        }
        var years: [Int: [Holiday]] = [:], sources: [Int: String] = [:]
        var previousYear: Int?
        for yearNode in reader.sequence(top, "years", in: "the calendar") ?? [] {
            guard let entry = reader.fields(yearNode, of: "a calendar year", required: ["year", "source", "holidays"]),
                  let year = reader.integer(entry, "year", in: "a calendar year")
            else { continue }
            guard CivilDate.acceptedYears.contains(year) else {
                // Also keeps the year arithmetic below and the compiled tables small and far from overflow.
                reader.report("year \(year) is outside the years \(CivilDate.acceptedYears.lowerBound)–\(CivilDate.acceptedYears.upperBound) the service's dates cover", at: entry["year"])
                continue
            }
            if years[year] != nil {
                reader.report("year \(year) is listed twice", at: entry["year"])
                continue
            }
            if let previousYear, year != previousYear + 1 {
                reader.report("year \(year) follows \(previousYear); covered years must be consecutive and in order", at: entry["year"])
            }
            previousYear = year
            sources[year] = reader.string(entry, "source", in: "year \(year)")
            years[year] = parseHolidays(entry, year: year, reader: reader)
        }
        if years.isEmpty, top["years"] != nil {
            reader.report("the calendar covers no year", at: top["years"])
        }
        guard let id, let name, let zone, !years.isEmpty, reader.issues.isEmpty else { return nil }
        return CalendarDefinition(id: id, name: name, timeZoneIdentifier: zone, timeZoneLine: top["time_zone"]?.mark?.line ?? 1,
                                  years: years, sources: sources)
    }

    private static func parseHolidays(_ entry: Fields, year: Int, reader: YAMLReader) -> [Holiday] {
        var holidays: [Holiday] = []
        var offDays: [CivilDate: String] = [:]
        var lastDate: (date: CivilDate, holiday: String)?
        var workDays: [(CivilDate, Node, String)] = []
        for node in reader.sequence(entry, "holidays", in: "year \(year)") ?? [] {
            guard let fields = reader.fields(node, of: "a holiday of \(year)", required: ["name", "from"],
                                             optional: ["to", "make_up_workdays"]),
                  let name = reader.string(fields, "name", in: "a holiday of \(year)"),
                  let fromNode = fields["from"], let from = reader.date(fromNode, in: "'from' of \(name)")
            else { continue }
            let toNode = fields["to"] ?? fromNode
            guard let to = reader.date(toNode, in: "'to' of \(name)") else { continue }
            var valid = true
            for (date, node) in [(from, fromNode), (to, toNode)] where date.year != year {
                reader.report("\(name): \(date) lies outside the year \(year) it is listed under", at: node)
                valid = false
            }
            if to < from {
                reader.report("\(name): days off end \(to) before they start \(from)", at: toNode)
                valid = false
            }
            if valid, let lastDate, from <= lastDate.date {
                reader.report("\(name) starts \(from), not after \(lastDate.holiday) which ends \(lastDate.date); list holidays in date order without overlap", at: fromNode)
                valid = false
            }
            var makeUp: [CivilDate] = []
            var previousMakeUp: CivilDate?
            for workNode in reader.sequence(fields, "make_up_workdays", in: name) ?? [] {
                guard let date = reader.date(workNode, in: "make-up workday of \(name)") else { continue }
                if date.year != year {
                    reader.report("\(name): make-up workday \(date) lies outside the year \(year) it is listed under", at: workNode)
                } else if let previousMakeUp, date <= previousMakeUp {
                    reader.report("\(name): make-up workday \(date) is not after \(previousMakeUp); list them in date order", at: workNode)
                } else if !date.isWeekend {
                    reader.report("\(name): make-up workday \(date) is a \(date.chineseWeekday), already a working day; 调休上班 days fall on weekends", at: workNode)
                } else {
                    makeUp.append(date)
                    workDays.append((date, workNode, name))
                }
                previousMakeUp = date
            }
            guard valid else { continue }
            for offset in 0...(to - from) { offDays[from.adding(days: offset)] = name }
            lastDate = (to, name)
            holidays.append(Holiday(name: name, daysOff: from...to, makeUpWorkdays: makeUp))
        }
        for (date, node, name) in workDays {
            if let offName = offDays[date] {
                reader.report("\(date) is listed both as a day off of \(offName) and as a make-up workday of \(name)", at: node)
            }
        }
        return holidays
    }
}
