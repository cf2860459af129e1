import ApprovalCore
import Testing

/// One test per kind of broken definition: each must be refused with the file, the line and the reason.
@Suite("Definition validation", .timeLimit(.minutes(5)))
struct DefinitionValidationTests {
    static let departments = """
    departments:
      - {id: dept-a, name: 甲局, short_name: 甲, kind: government}
      - {id: dept-b, name: 乙局, short_name: 乙, kind: utility}
    """

    static let calendar = """
    id: test-cal
    name: 测试日历
    time_zone: Asia/Shanghai
    years:
      - year: 2026
        source: test notice
        holidays:
          - {name: 元旦, from: 2026-01-01, to: 2026-01-03, make_up_workdays: [2026-01-04]}
    """

    /// A valid workflow; tests replace single lines to break it.
    static let workflow = """
    id: wf
    version: 1
    name: 测试流程
    calendar: test-cal
    total_limit: 30
    attributes:
      - {id: size, name: 规模, type: number, required: true}
      - {id: zone, name: 园区, type: boolean}
      - {id: kind, name: 类型, type: choice, values: [a, b]}
    stages:
      - id: first
        name: 第一阶段
        lead: dept-a
        limit: 10
        items:
          - id: x
            name: 甲项
            department: dept-a
            limit: 5
          - id: y
            name: 乙项
            department: dept-b
            limit: 5
            depends_on: [x]
            when: {attribute: size, at_least: 100}
      - id: second
        name: 第二阶段
        lead: dept-b
        limit: 10
        items:
          - id: z
            name: 丙项
            department: dept-b
            limit: 10
            depends_on: [y]
    """

    static let materials = """
    kinds:
      - {id: licence, name: 营业执照}
      - {id: permit, name: 许可证}
    """

    func issues(workflow: String = workflow, calendar: String = calendar, departments: String = departments,
                materials: String = materials) -> [DefinitionIssue] {
        do {
            _ = try DefinitionCatalog.load([
                DefinitionSource(path: "defs/departments.yaml", text: departments),
                DefinitionSource(path: "defs/materials.yaml", text: materials),
                DefinitionSource(path: "defs/calendars/test-cal.yaml", text: calendar),
                DefinitionSource(path: "defs/wf.yaml", text: workflow),
            ])
            return []
        } catch {
            return error.issues
        }
    }

    func replacing(_ old: String, with new: String, in text: String = workflow) -> String {
        precondition(text.contains(old), "fixture does not contain \(old)")
        return text.replacingOccurrences(of: old, with: new)
    }

    /// Asserts exactly one issue, in `file` at `line`, whose message contains every fragment.
    func expectIssue(_ found: [DefinitionIssue], file: String = "defs/wf.yaml", line: Int, _ fragments: String...,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(found.count == 1, "expected one issue, got: \(found)", sourceLocation: sourceLocation)
        guard let issue = found.first else { return }
        #expect(issue.file == file, sourceLocation: sourceLocation)
        #expect(issue.line == line, "\(issue)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(issue.message.contains(fragment), "\(issue.message) lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
    }

    @Test func validFixtureLoads() {
        #expect(issues().isEmpty)
    }

    @Test func shippedWorkflowsAreValid() {
        #expect(shippedCatalog.workflows.keys.sorted() == ["enterprise-investment", "government-investment", "low-risk"])
        #expect(shippedCatalog.workflows["enterprise-investment"]?.totalLimit == 90)
        #expect(shippedCatalog.workflows["government-investment"]?.totalLimit == 100)
        #expect(shippedCatalog.workflows["low-risk"]?.totalLimit == 20)
        #expect(shippedCatalog.workflows.values.allSatisfy { $0.stages.count == 4 })
    }

    @Test func unknownKey() {
        let found = issues(workflow: replacing("        limit: 5\n      - id: y", with: "        limt: 5\n      - id: y"))
        #expect(found.count == 2)
        #expect(found.contains { $0.line == 19 && $0.message.contains("unknown key 'limt' in an item") && $0.message.contains("expected one of") })
        #expect(found.contains { $0.message.contains("missing required key 'limit'") })
    }

    /// Item x with requirements, as the tests below break them.
    func withRequirements(_ lines: String) -> String {
        replacing("        limit: 5\n      - id: y", with: "        limit: 5\n" + lines + "      - id: y")
    }

    @Test func materialRequirementsLoadWithTheirKinds() throws {
        let catalog = try DefinitionCatalog.load([
            DefinitionSource(path: "defs/departments.yaml", text: Self.departments),
            DefinitionSource(path: "defs/materials.yaml", text: Self.materials),
            DefinitionSource(path: "defs/calendars/test-cal.yaml", text: Self.calendar),
            DefinitionSource(path: "defs/wf.yaml", text: withRequirements("""
                    requires:
                      - {id: form, name: 申请表, core: true}
                      - {id: licence, name: 营业执照, core: true, kind: licence}
                    produces: permit

            """)),
        ])
        let item = try #require(catalog.workflows["wf"]?.item("x"))
        #expect(item.requirements.map(\.id) == ["form", "licence"])
        #expect(item.requirements[1].kind == "licence" && item.requirements[1].core)
        #expect(item.produces == "permit")
        #expect(catalog.materialKinds["licence"]?.name == "营业执照")
        // The shipped workflows: every item says what it requires, and what an item issues is reused by kind.
        let shipped = shippedCatalog.workflows.values.flatMap(\.items)
        #expect(shipped.allSatisfy { !$0.requirements.isEmpty })
        #expect(shipped.contains { $0.requirements.contains { $0.kind == "project-approval-document" } })
    }

    @Test func unknownMaterialKind() {
        expectIssue(issues(workflow: withRequirements("""
                    requires:
                      - {id: form, name: 申请表, core: true, kind: passport}

            """)), line: 21, "material 'form' of item 'x'", "unknown material kind 'passport'")
        expectIssue(issues(workflow: withRequirements("""
                    produces: medal

            """)), line: 20, "item 'x' names unknown material kind 'medal'")
    }

    @Test func repeatedRequirementAndMissingCore() {
        expectIssue(issues(workflow: withRequirements("""
                    requires:
                      - {id: form, name: 申请表, core: true}
                      - {id: form, name: 申请书, core: false}

            """)), line: 22, "item 'x' requires 'form' twice")
        expectIssue(issues(workflow: withRequirements("""
                    requires:
                      - {id: form, name: 申请表}

            """)), line: 21, "missing required key 'core'")
    }

    @Test func deficiencyAcceptanceNeedsANonCoreMaterial() {
        expectIssue(issues(workflow: withRequirements("""
                    deficiency_acceptance: true
                    requires:
                      - {id: form, name: 申请表, core: true}

            """)), line: 22, "item 'x' allows deficiency acceptance", "core: false")
    }

    @Test func unknownDepartment() {
        expectIssue(issues(workflow: replacing("department: dept-b\n        limit: 10", with: "department: dept-q\n        limit: 10")),
                    line: 33, "unknown department 'dept-q'")
    }

    @Test func unknownItemInDependency() {
        expectIssue(issues(workflow: replacing("depends_on: [y]", with: "depends_on: [nope]")),
                    line: 35, "item 'z' depends on unknown item 'nope'")
    }

    @Test func unknownAttributeInCondition() {
        expectIssue(issues(workflow: replacing("{attribute: size, at_least: 100}", with: "{attribute: height, at_least: 100}")),
                    line: 25, "undeclared attribute 'height'")
    }

    @Test func unknownCalendar() {
        expectIssue(issues(workflow: replacing("calendar: test-cal", with: "calendar: mars")), line: 4, "unknown calendar 'mars'")
    }

    @Test func duplicateItemID() {
        expectIssue(issues(workflow: replacing("      - id: z\n", with: "      - id: x\n")),
                    line: 31, "duplicate item id 'x'")
    }

    @Test func duplicateAttributeID() {
        expectIssue(issues(workflow: replacing("{id: zone, name: 园区", with: "{id: size, name: 园区")),
                    line: 8, "duplicate attribute id 'size'")
    }

    @Test func duplicateDepartmentID() {
        let departments = Self.departments.replacingOccurrences(of: "id: dept-b", with: "id: dept-a")
        let found = issues(departments: departments)
        #expect(found.contains { $0.file == "defs/departments.yaml" && $0.line == 3 && $0.message.contains("duplicate department id 'dept-a'") })
    }

    @Test func duplicateYAMLKey() {
        expectIssue(issues(workflow: replacing("version: 1\n", with: "version: 1\nversion: 2\n")), line: 2, "duplicate key 'version'")
    }

    @Test func dependencyCycleIsNamed() {
        let text = replacing("        limit: 5\n      - id: y", with: "        limit: 5\n        depends_on: [y]\n      - id: y")
        expectIssue(issues(workflow: text), line: 16, "dependency cycle: x → y → x")
    }

    @Test func dependencyOnLaterStage() {
        let text = replacing("        limit: 5\n      - id: y", with: "        limit: 5\n        depends_on: [z]\n      - id: y")
        expectIssue(issues(workflow: text), line: 20, "item 'x' of stage 'first' depends on 'z' of the later stage 'second'")
    }

    @Test func conditionWithWrongType() {
        expectIssue(issues(workflow: replacing("{attribute: size, at_least: 100}", with: "{attribute: size, at_least: big}")),
                    line: 25, "compares number attribute 'size' with 'big'", "expected a number")
        expectIssue(issues(workflow: replacing("{attribute: size, at_least: 100}", with: "{attribute: zone, at_least: 1}")),
                    line: 25, "ordering comparisons need an integer or number attribute")
        expectIssue(issues(workflow: replacing("{attribute: size, at_least: 100}", with: "{attribute: kind, equals: c}")),
                    line: 25, "expected one of a, b")
        expectIssue(issues(workflow: replacing("{attribute: size, at_least: 100}", with: "{attribute: zone, equals: yes-please}")),
                    line: 25, "expected true or false")
    }

    @Test func negativeLimit() {
        expectIssue(issues(workflow: replacing("department: dept-b\n        limit: 5", with: "department: dept-b\n        limit: -3")),
                    line: 23, "'limit' of item 'y' is -3", "cannot be negative")
    }

    @Test func absurdLimitsAreRefusedWithTheirLine() {
        expectIssue(issues(workflow: replacing("department: dept-b\n        limit: 5", with: "department: dept-b\n        limit: 1001")),
                    line: 23, "'limit' of item 'y' is 1001", "at most 1000")
        expectIssue(issues(workflow: replacing("department: dept-b\n        limit: 5", with: "department: dept-b\n        limit: 9223372036854775807")),
                    line: 23, "'limit' of item 'y' is 9223372036854775807", "at most 1000")
        expectIssue(issues(workflow: replacing("department: dept-b\n        limit: 5", with: "department: dept-b\n        limit: 99999999999999999999")),
                    line: 23, "'limit' of item 'y' must be a whole number")
        expectIssue(issues(workflow: replacing("total_limit: 30", with: "total_limit: 4611686018427387904")),
                    line: 5, "'total_limit' of the workflow is 4611686018427387904", "at most 1000")
        expectIssue(issues(workflow: replacing("    lead: dept-a\n    limit: 10", with: "    lead: dept-a\n    limit: 100000")),
                    line: 14, "'limit' of stage 'first' is 100000", "at most 1000")
        expectIssue(issues(workflow: replacing("total_limit: 30\n", with: "total_limit: 30\nwarnings: {item_yellow_minimum_days: 5000}\n")),
                    line: 6, "'item_yellow_minimum_days' of 'warnings' is 5000", "at most 1000")
        expectIssue(issues(workflow: replacing("version: 1\n", with: "version: 2147483648\n")),
                    line: 2, "'version' of the workflow is 2147483648", "at most 1000000")
    }

    @Test func calendarYearOutsideTheServiceYears() {
        for year in ["1999", "2100", "9223372036854775807"] {
            let found = issues(calendar: Self.calendar.replacingOccurrences(of: "year: 2026", with: "year: \(year)"))
            #expect(found.contains {
                $0.file == "defs/calendars/test-cal.yaml" && $0.line == 5 && $0.message.contains("year \(year) is outside the years 2000–2099")
            }, "\(found)")
        }
        // The last year a calendar may cover is fine; the year after it is refused.
        let calendar = ["id: test-cal", "name: 测试日历", "time_zone: Asia/Shanghai", "years:",
                        "  - {year: 2099, source: test notice, holidays: []}", "  - {year: 2100, source: test notice, holidays: []}"]
        expectIssue(issues(calendar: calendar.joined(separator: "\n")), file: "defs/calendars/test-cal.yaml", line: 6,
                    "year 2100 is outside the years 2000–2099")
    }

    @Test func conditionTooDeepOrTooLarge() {
        let deep = String(repeating: "{not: ", count: 20) + "{attribute: size, at_least: 100}" + String(repeating: "}", count: 20)
        expectIssue(issues(workflow: replacing("when: {attribute: size, at_least: 100}", with: "when: \(deep)")),
                    line: 25, "'when' of item 'y' is too large", "nests at most 16 deep")
        let wide = "{any: [" + Array(repeating: "{attribute: size, at_least: 1}", count: 300).joined(separator: ", ") + "]}"
        expectIssue(issues(workflow: replacing("when: {attribute: size, at_least: 100}", with: "when: \(wide)")),
                    line: 25, "'when' of item 'y' is too large", "at most 200 parts")
        let fine = String(repeating: "{not: ", count: 10) + "{attribute: size, at_least: 100}" + String(repeating: "}", count: 10)
        #expect(issues(workflow: replacing("when: {attribute: size, at_least: 100}", with: "when: \(fine)")).isEmpty)
    }

    @Test func tooManyItems() {
        let items = (0...500).map { "      - {id: i\($0), name: 项\($0), department: dept-a, limit: 0}" }
        let text = """
        id: wf
        version: 1
        name: 测试流程
        calendar: test-cal
        total_limit: 30
        stages:
          - id: first
            name: 第一阶段
            lead: dept-a
            limit: 10
            items:

        """ + items.joined(separator: "\n") + "\n"
        // The 501st item, on line 12 + 500.
        expectIssue(issues(workflow: text), line: 512, "more than 500 items")
    }

    @Test func longestPathOverStageLimitPrintsThePath() {
        expectIssue(issues(workflow: replacing("    lead: dept-a\n    limit: 10", with: "    lead: dept-a\n    limit: 9")),
                    line: 11, "longest path of item limits is 10 working days, over the stage 'first' limit of 9: x (5) → y (5)")
    }

    @Test func longestPathOverTotalLimitPrintsThePath() {
        expectIssue(issues(workflow: replacing("total_limit: 30", with: "total_limit: 19")),
                    line: 5, "is 20 working days, over the total limit of 19: x (5) → y (5) → z (10)")
    }

    @Test func allErrorsOfAFileAtOnce() {
        var text = replacing("calendar: test-cal", with: "calendar: mars")
        text = replacing("department: dept-b\n        limit: 10", with: "department: dept-q\n        limit: 10", in: text)
        text = replacing("{attribute: size, at_least: 100}", with: "{attribute: height, at_least: 100}", in: text)
        let found = issues(workflow: text)
        #expect(found.map(\.line).sorted() == [4, 25, 33])
        #expect(found.allSatisfy { $0.description.hasPrefix("defs/wf.yaml:") })
    }

    @Test func calendarsShareOneTimeZone() throws {
        let otherZone = Self.calendar.replacingOccurrences(of: "id: test-cal", with: "id: west-cal")
            .replacingOccurrences(of: "time_zone: Asia/Shanghai", with: "time_zone: Asia/Urumqi")
        var found: [DefinitionIssue] = []
        do {
            _ = try DefinitionCatalog.load([
                DefinitionSource(path: "defs/departments.yaml", text: Self.departments),
                DefinitionSource(path: "defs/calendars/test-cal.yaml", text: Self.calendar),
                DefinitionSource(path: "defs/calendars/west-cal.yaml", text: otherZone),
                DefinitionSource(path: "defs/wf.yaml", text: Self.workflow),
            ])
        } catch {
            found = error.issues
        }
        expectIssue(found, file: "defs/calendars/west-cal.yaml", line: 3, "share one time zone")
        #expect(try DefinitionCatalog.load(directory: workflowsDirectory).timeZone.identifier == "Asia/Shanghai")
    }

    @Test func calendarDatesOutOfOrder() {
        let text = Self.calendar + "\n      - {name: 春节, from: 2026-02-23, to: 2026-02-15}"
        expectIssue(issues(calendar: text), file: "defs/calendars/test-cal.yaml", line: 9, "end 2026-02-15 before they start 2026-02-23")
        let earlier = Self.calendar.replacingOccurrences(of: "- {name: 元旦", with: "- {name: 春节, from: 2026-02-15, to: 2026-02-23}\n      - {name: 元旦")
        expectIssue(issues(calendar: earlier), file: "defs/calendars/test-cal.yaml", line: 9, "元旦 starts 2026-01-01, not after 春节")
    }

    @Test func calendarDateOutsideItsYear() {
        let text = Self.calendar.replacingOccurrences(of: "from: 2026-01-01", with: "from: 2025-12-31")
        expectIssue(issues(calendar: text), file: "defs/calendars/test-cal.yaml", line: 8, "2025-12-31 lies outside the year 2026")
    }

    @Test func calendarDateBothOffAndWorking() {
        let text = Self.calendar + "\n      - {name: 春节, from: 2026-02-15, to: 2026-02-23, make_up_workdays: [2026-02-21]}"
        expectIssue(issues(calendar: text), file: "defs/calendars/test-cal.yaml", line: 9,
                    "2026-02-21 is listed both as a day off of 春节 and as a make-up workday of 春节")
    }

    @Test func calendarNotADate() {
        let text = Self.calendar.replacingOccurrences(of: "to: 2026-01-03", with: "to: 2026-01-32")
        expectIssue(issues(calendar: text), file: "defs/calendars/test-cal.yaml", line: 8, "'2026-01-32' is not a date")
    }

    @Test func unknownCalendarKeyAndBadTimeZone() {
        let text = Self.calendar.replacingOccurrences(of: "time_zone: Asia/Shanghai", with: "time_zone: Asia/Beijing\nregion: cn")
        let found = issues(calendar: text)
        #expect(found.count == 2)
        #expect(found.contains { $0.line == 3 && $0.message.contains("unknown time zone 'Asia/Beijing'") })
        #expect(found.contains { $0.line == 4 && $0.message.contains("unknown key 'region'") })
    }

    @Test func exemptionNeedsItsSource() {
        let text = replacing("when: {attribute: size, at_least: 100}", with: "exempt_when: {attribute: zone, equals: true}")
        expectIssue(issues(workflow: text), line: 25, "'exempt_when' but no 'exemption_source'")
    }

    @Test func directoryLoadReportsRelativePaths() {
        let missing = #expect(throws: DefinitionErrors.self) { try DefinitionCatalog.load(directory: "/nonexistent-definitions") }
        #expect(missing?.description == "/nonexistent-definitions:1:1: error: no such directory")
        let catalog = shippedCatalog
        #expect(catalog.departments.count >= 12)
        for workflow in catalog.workflows.values {
            for item in workflow.items { #expect(catalog.departments[item.department] != nil) }
        }
    }
}
