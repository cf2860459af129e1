import ApprovalCore
import Benchmark
import Foundation

/// The engine's hot paths: working-day arithmetic (every deadline and every used-days figure), the project view
/// with its critical-path forecast (every status read and every write), and validation of all definitions (every
/// start-up and `workflows validate`).
let workflowsDirectory = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Workflows").path
let sources: [DefinitionSource] = FileManager.default.subpaths(atPath: workflowsDirectory)!
    .filter { $0.hasSuffix(".yaml") }.sorted()
    .map { DefinitionSource(path: "\(workflowsDirectory)/\($0)", text: try! String(contentsOfFile: "\(workflowsDirectory)/\($0)", encoding: .utf8)) }
let catalog = try! DefinitionCatalog.load(sources)
let calendar = catalog.calendars["cn-mainland"]!
let start = CivilDate(year: 2026, month: 1, day: 5)!

/// The largest workflow (enterprise investment, every item applicable) in mid-course: the first stage decided,
/// the second accepted with one supplement stop, the rest waiting — what a status read meets most often.
func midCourseProject() -> Project {
    let workflow = catalog.workflows.values.max { $0.items.count < $1.items.count }!
    var attributes: [String: AttributeValue] = [:]
    for declaration in workflow.attributes {
        switch declaration.kind {
        case .boolean: attributes[declaration.id] = .boolean(true)
        case .integer, .number: attributes[declaration.id] = .number(5000)
        case .text: attributes[declaration.id] = .text("x")
        case let .choice(values): attributes[declaration.id] = .text(values[0])
        }
    }
    var project = try! Project(workflow: workflow, attributes: attributes, startedOn: start)
    var day = start
    for stage in workflow.stages.prefix(2) {
        for item in stage.items where project.item(item.id)?.state == .ready {
            try? project.perform(.submit, on: item.id, date: day, calendar: calendar)
            try? project.perform(.accept(commitment: nil), on: item.id, date: day, calendar: calendar)
        }
        if stage.id == workflow.stages[0].id {
            day = calendar.deadline(adding: 3, to: day).value
            for item in stage.items where project.item(item.id)?.state == .accepted {
                try? project.perform(.approve, on: item.id, date: day, calendar: calendar)
            }
        }
    }
    if let accepted = project.items.first(where: { $0.state == .accepted }) {
        try? project.perform(.suspend(.supplement(missingMaterials: ["图纸"])), on: accepted.id, date: day, calendar: calendar)
        try? project.perform(.resume, on: accepted.id, date: calendar.deadline(adding: 4, to: day).value, calendar: calendar)
    }
    return project
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput], maxDuration: .seconds(3))

    Benchmark("calendar add 1,000 deadlines") { benchmark in
        for offset in benchmark.scaledIterations {
            for n in 0..<1000 {
                blackHole(calendar.deadline(adding: (n + offset) % 60, to: start.adding(days: n % 700)))
            }
        }
    }

    Benchmark("calendar between 1,000 spans") { benchmark in
        for offset in benchmark.scaledIterations {
            for n in 0..<1000 {
                blackHole(calendar.workingDays(from: start.adding(days: n % 500), to: start.adding(days: (n + offset) % 700)))
            }
        }
    }

    let project = midCourseProject()
    let today = calendar.deadline(adding: 12, to: start).value
    Benchmark("project view with forecast, \(project.items.count)-item workflow") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ProjectView(project: project, asOf: today, calendar: calendar))
        }
    }

    Benchmark("validate all definitions (\(sources.count) files)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? DefinitionCatalog.load(sources))
        }
    }
}
