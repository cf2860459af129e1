import ApprovalCore
import Foundation

/// The repository's own Workflows/ directory: tests run against the definitions that ship.
let workflowsDirectory: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Workflows").path

let shippedCatalog: DefinitionCatalog = {
    do { return try DefinitionCatalog.load(directory: workflowsDirectory) } catch { fatalError("shipped definitions are invalid:\n\(error)") }
}()

let officialCalendar = shippedCatalog.calendars["cn-mainland"]!

/// A date from `YYYY-MM-DD`; test tables read like the State Council notices.
func day(_ text: String) -> CivilDate {
    guard let date = CivilDate(iso: text) else { fatalError("bad test date \(text)") }
    return date
}

/// A small workflow on the official calendar, shaped to exercise every rule:
/// a (10, 容缺, 延期 up to 10) → c (8) → f (6); b (5, escalate) → f; d only for big projects; e exempted for small ones.
let clockTestWorkflowYAML = """
id: clock-test
version: 1
name: 时钟测试
calendar: cn-mainland
total_limit: 40
attributes:
  - {id: big, name: 大型项目, type: boolean, required: true}
  - {id: floors, name: 层数, type: integer}
stages:
  - id: one
    name: 第一阶段
    lead: development-reform
    limit: 20
    items:
      - {id: a, name: 甲项, department: development-reform, limit: 10, deficiency_acceptance: true, extension_days: 10}
      - {id: b, name: 乙项, department: fire-safety-review, limit: 5, on_timeout: escalate}
      - {id: c, name: 丙项, department: natural-resources-planning, limit: 8, depends_on: [a]}
      - {id: d, name: 丁项, department: water-resources, limit: 3, when: {attribute: big, equals: true}}
      - id: e
        name: 戊项
        department: ecology-environment
        limit: 4
        exempt_when: {attribute: big, equals: false}
        exemption_source: 区域评估成果覆盖
  - id: two
    name: 第二阶段
    lead: housing-construction
    limit: 20
    items:
      - {id: f, name: 己项, department: housing-construction, limit: 6, depends_on: [c, b]}
"""

let clockTestWorkflow: WorkflowDefinition = {
    let read = { (path: String) in try! String(contentsOfFile: workflowsDirectory + "/" + path, encoding: .utf8) }
    do {
        return try DefinitionCatalog.load([
            DefinitionSource(path: "departments.yaml", text: read("departments.yaml")),
            DefinitionSource(path: "calendars/cn-mainland.yaml", text: read("calendars/cn-mainland.yaml")),
            DefinitionSource(path: "clock-test.yaml", text: clockTestWorkflowYAML),
        ]).workflows["clock-test"]!
    } catch {
        fatalError("clock-test workflow is invalid:\n\(error)")
    }
}()

func smallProject(startedOn: String = "2026-03-02", exemptions: [String: String] = [:]) -> Project {
    try! Project(workflow: clockTestWorkflow, attributes: ["big": .boolean(false)], startedOn: day(startedOn), exemptions: exemptions)
}

extension Project {
    /// Performs actions that a test expects to succeed, all on one date.
    mutating func run(_ date: String, _ steps: (String, ItemAction)...) throws {
        for (item, action) in steps { try perform(action, on: item, date: day(date), calendar: officialCalendar) }
    }
}
