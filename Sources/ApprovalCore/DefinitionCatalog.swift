import Foundation

/// One definition file's path (as shown in messages) and text.
public struct DefinitionSource: Sendable {
    public let path: String
    public let text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// Everything in a `Workflows/` directory, validated together: departments, calendars and workflows.
///
/// Layout: `departments.yaml`, `materials.yaml` (the reusable material kinds; optional), `calendars/<id>.yaml`,
/// and every other `*.yaml` at the top is a workflow.
public struct DefinitionCatalog: Sendable {
    public let departments: [String: Department]
    public let calendars: [String: WorkdayCalendar]
    public let calendarDefinitions: [String: CalendarDefinition]
    /// Keyed by workflow id; a directory holds the current version of each workflow.
    public let workflows: [String: WorkflowDefinition]
    /// The reusable material kinds the workflows' items require and produce.
    public let materialKinds: [String: MaterialKind]
    /// The files the catalog was loaded from, so the store can keep each workflow's exact text and digest.
    public let sources: [DefinitionSource]

    /// Loads and validates all sources, reporting every problem of every file; nothing is returned unless the
    /// whole set is valid.
    public static func load(_ sources: [DefinitionSource]) throws(DefinitionErrors) -> DefinitionCatalog {
        var issues: [DefinitionIssue] = []
        let departmentSources = sources.filter { fileName($0.path) == "departments.yaml" && !isCalendar($0.path) }
        var departments: [String: Department] = [:]
        if departmentSources.count != 1 {
            let message = departmentSources.isEmpty ? "no departments.yaml: the workflows' departments must be declared there"
                : "more than one departments.yaml"
            issues.append(DefinitionIssue(file: departmentSources.first?.path ?? "departments.yaml", line: 1, column: 1, message: message))
        }
        for source in departmentSources.prefix(1) {
            let reader = YAMLReader(file: source.path)
            departments = Department.parseAll(source.text, reader: reader)
            issues += reader.issues
        }

        var calendarDefinitions: [String: CalendarDefinition] = [:]
        for source in sources.filter({ isCalendar($0.path) }).sorted(by: { $0.path < $1.path }) {
            let reader = YAMLReader(file: source.path)
            if let calendar = CalendarDefinition.parse(source.text, reader: reader) {
                if calendar.id != calendarID(of: source.path) {
                    reader.report("calendar id '\(calendar.id)' differs from its file name; name the file \(calendar.id).yaml", line: 1, column: 1)
                } else if calendarDefinitions[calendar.id] != nil {
                    reader.report("duplicate calendar id '\(calendar.id)'", line: 1, column: 1)
                } else if let other = calendarDefinitions.values.first, other.timeZoneIdentifier != calendar.timeZoneIdentifier {
                    // Days end at 24:00 in one place: a deployment's "today" is one date for every project.
                    reader.report("time zone '\(calendar.timeZoneIdentifier)' differs from calendar '\(other.id)' ('\(other.timeZoneIdentifier)'); a deployment's calendars share one time zone",
                                  line: calendar.timeZoneLine, column: 1)
                } else {
                    calendarDefinitions[calendar.id] = calendar
                }
            }
            issues += reader.issues
        }
        if !sources.contains(where: { isCalendar($0.path) }) {
            // Deadlines count working days on a calendar, and "today" is decided in its time zone.
            issues.append(DefinitionIssue(file: "calendars/", line: 1, column: 1,
                                          message: "no calendar: add calendars/<id>.yaml with the official working-day calendar"))
        }
        // Workflows are checked against every calendar file present, even one with errors of its own, so a
        // broken calendar is reported once rather than again as "unknown calendar" in each workflow.
        let calendarIDs = Set(calendarDefinitions.keys).union(sources.filter { isCalendar($0.path) }.map { calendarID(of: $0.path) })

        var kinds: [String: MaterialKind] = [:]
        for source in sources where isMaterials(source.path) {
            let reader = YAMLReader(file: source.path)
            kinds = MaterialKind.parseAll(source.text, reader: reader)
            issues += reader.issues
        }

        var workflows: [String: WorkflowDefinition] = [:]
        for source in sources where !isShared(source.path) {
            let reader = YAMLReader(file: source.path)
            if let workflow = WorkflowDefinition.parse(source.text, reader: reader, departments: departments, calendarIDs: calendarIDs, kinds: kinds) {
                if let other = workflows[workflow.id] {
                    reader.report("duplicate workflow id '\(workflow.id)', also defined in \(other.file)", line: 1, column: 1)
                } else {
                    workflows[workflow.id] = workflow
                }
            }
            issues += reader.issues
        }
        guard issues.isEmpty else { throw DefinitionErrors(issues: issues) }
        return DefinitionCatalog(departments: departments,
                                 calendars: calendarDefinitions.mapValues { $0.compile() },
                                 calendarDefinitions: calendarDefinitions, workflows: workflows, materialKinds: kinds, sources: sources)
    }

    /// The deployment's time zone, which its calendars share (validated): where days end at 24:00, so where
    /// "today" is decided for every project, report and page.
    public var timeZone: TimeZone {
        // A catalog has at least one calendar, with a known zone (both validated); GMT only to stay total.
        calendarDefinitions.values.first.flatMap { TimeZone(identifier: $0.timeZoneIdentifier) } ?? .gmt
    }

    /// The file a current workflow was loaded from.
    public func source(ofWorkflow id: String) -> DefinitionSource? {
        workflows[id].flatMap { workflow in sources.first { $0.path == workflow.file } }
    }

    /// Parses an earlier version of a workflow, kept by the store, against this catalog's departments and
    /// calendars: running projects keep the version they started with after the YAML changes.
    public func loadEarlierVersion(_ source: DefinitionSource) throws(DefinitionErrors) -> WorkflowDefinition {
        let shared = sources.filter { Self.isShared($0.path) }
        let catalog = try DefinitionCatalog.load(shared + [source])
        guard let workflow = catalog.workflows.values.first else {
            throw DefinitionErrors(issues: [DefinitionIssue(file: source.path, line: 1, column: 1, message: "holds no workflow")])
        }
        return workflow
    }

    /// Reads every `*.yaml` under `directory` (sorted, so messages come in a stable order) and loads them.
    /// File reading lives here rather than in each caller so the CLI and the server load a directory one way.
    public static func load(directory: String) throws(DefinitionErrors) -> DefinitionCatalog {
        let root = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DefinitionErrors(issues: [DefinitionIssue(file: directory, line: 1, column: 1, message: "no such directory")])
        }
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw DefinitionErrors(issues: [DefinitionIssue(file: directory, line: 1, column: 1, message: "cannot read directory")])
        }
        var sources: [DefinitionSource] = []
        var unreadable: [DefinitionIssue] = []
        let base = root.standardizedFileURL.path
        for case let url as URL in enumerator where ["yaml", "yml"].contains(url.pathExtension) {
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
            let shown = directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                unreadable.append(DefinitionIssue(file: shown, line: 1, column: 1, message: "cannot read the file as UTF-8 text"))
                continue
            }
            sources.append(DefinitionSource(path: shown, text: text))
        }
        guard unreadable.isEmpty else { throw DefinitionErrors(issues: unreadable) }
        return try load(sources.sorted { $0.path < $1.path })
    }

    private static func fileName(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }

    private static func isCalendar(_ path: String) -> Bool { path.split(separator: "/").dropLast().last == "calendars" }

    private static func isMaterials(_ path: String) -> Bool { fileName(path) == "materials.yaml" && !isCalendar(path) }

    /// Files every workflow is checked against, rather than workflows themselves.
    private static func isShared(_ path: String) -> Bool {
        isCalendar(path) || isMaterials(path) || fileName(path) == "departments.yaml"
    }

    private static func calendarID(of path: String) -> String {
        String(fileName(path).split(separator: ".").first ?? "")
    }
}
