import ApprovalCore
import ArgumentParser

/// Working-day arithmetic for a person checking a deadline by hand.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Working-day arithmetic on the official calendar (start day not counted).",
        subcommands: [Between.self, Add.self, Check.self]
    )

    struct CalendarOptions: ParsableArguments {
        @OptionGroup var definitions: DefinitionsOptions

        @Option(name: .long, help: "Calendar id (a file under calendars/).")
        var calendar: String = "cn-mainland"

        func load() throws -> WorkdayCalendar {
            let catalog: DefinitionCatalog
            do {
                catalog = try DefinitionCatalog.load(directory: definitions.workflows)
            } catch {
                throw ValidationError("the definitions in \(definitions.workflows) are invalid; run 'approvals workflows validate \(definitions.workflows)':\n\(error)")
            }
            guard let calendar = catalog.calendars[calendar] else {
                throw ValidationError("unknown calendar '\(calendar)'; known: \(catalog.calendars.keys.sorted().joined(separator: ", "))")
            }
            return calendar
        }

        /// Prints an answer: as JSON with `--json`, otherwise its plain line, with a note on stderr when it relied on
        /// dates past the calendar's coverage.
        func answer(_ json: [String: any Sendable], plain: String, provisional: Bool, calendar: WorkdayCalendar) throws {
            guard !definitions.json else { return try printJSON(json) }
            print(plain)
            if provisional { printProvisionalNote(calendar) }
        }
    }

    struct Between: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count the working days in (FROM, TO].")
        @Argument(help: "Start date, \(CivilDate.acceptedForm) (not counted).") var from: CivilDate
        @Argument(help: "End date, \(CivilDate.acceptedForm) (counted).") var to: CivilDate
        @OptionGroup var options: CalendarOptions

        func run() throws {
            let calendar = try options.load()
            let result = calendar.workingDays(from: from, to: to)
            try options.answer(["from": "\(from)", "to": "\(to)", "working_days": result.value, "provisional": result.isProvisional],
                               plain: "\(result.value)", provisional: result.isProvisional, calendar: calendar)
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The deadline date N working days after DATE (N = 0: DATE itself).")
        @Argument(help: "Start date, \(CivilDate.acceptedForm).") var date: CivilDate
        @Argument(help: "Working days, 0 to \(WorkdayCalendar.maximumWorkingDays).") var workingDays: Int
        @OptionGroup var options: CalendarOptions

        func validate() throws {
            guard (0...WorkdayCalendar.maximumWorkingDays).contains(workingDays) else {
                throw ValidationError("N must be 0 to \(WorkdayCalendar.maximumWorkingDays) working days, not \(workingDays)")
            }
        }

        func run() throws {
            let calendar = try options.load()
            let result: WorkdayResult<CivilDate>
            do {
                result = try calendar.deadline(adding: workingDays, to: date)
            } catch {
                throw ValidationError(error.description)
            }
            try options.answer(["from": "\(date)", "working_days": workingDays, "deadline": "\(result.value)",
                                "weekday": result.value.weekday, "provisional": result.isProvisional],
                               plain: "\(result.value)", provisional: result.isProvisional, calendar: calendar)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether DATE is a working day, and why.")
        @Argument(help: "Date, \(CivilDate.acceptedForm).") var date: CivilDate
        @OptionGroup var options: CalendarOptions

        func run() throws {
            let calendar = try options.load()
            let working = calendar.isWorkingDay(date)
            let reason = calendar.reason(for: date)
            try options.answer(["date": "\(date)", "working_day": working, "weekday": date.weekday, "reason": reason,
                                "provisional": !calendar.isCovered(date)],
                               plain: "\(date) \(date.chineseWeekday): \(working ? "working day" : "day off") (\(reason))",
                               provisional: !calendar.isCovered(date), calendar: calendar)
        }
    }
}

private func printProvisionalNote(_ calendar: WorkdayCalendar) {
    var stderr = StandardError()
    print("note: provisional — outside the calendar's coverage (\(calendar.coverage.lowerBound) to \(calendar.coverage.upperBound)), only weekends are known", to: &stderr)
}

extension CivilDate: ExpressibleByArgument {
    /// A date on the command line is a date from outside: `YYYY-MM-DD` in `CivilDate.acceptedYears`.
    public init?(argument: String) { self.init(input: argument) }
}
