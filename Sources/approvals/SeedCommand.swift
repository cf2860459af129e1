import ApprovalSeed
import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation
import Synchronization

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Generate a province's worth of realistic projects with their full history, for benchmarks and trials.",
        discussion: """
            Every workflow, projects started over the three years before --as-of in the 90 counties of a province, items in \
            every state, agents, progress logs and an audit chain that verifies. Adds to what is there; run `approvals migrate` \
            first. The run that creates the province's staff prints a random token for its administrator and its leader, shown \
            that once. Seed a trial database, never a production one.
            """
    )

    @Option(help: "How many projects to add.")
    var projects: Int

    @Option(help: "Seed of the generator: the same seed gives the same data.")
    var seed: UInt64 = 1

    @Option(help: "Of the projects, how many form a sweeper backlog: recent projects whose deadlines passed with no sweeper running.")
    var backlog: Int = 0

    @Option(help: "The day the generated history ends (\(CivilDate.acceptedForm)); today in the calendars' time zone when omitted.")
    var asOf: String?

    @Option(help: "Batches generated and loaded at once.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Directory holding departments.yaml, calendars/ and the workflow files.")
    var workflows: String = ProcessInfo.processInfo.environment["APPROVALS_WORKFLOWS"] ?? "Workflows"

    @OptionGroup var database: DatabaseOptions

    /// Bounds that keep the generator's id and batch arithmetic far from overflow and its task group small:
    /// ten million projects is ten times the largest benchmark, and workers default to the cores.
    static let maximumProjects = 10_000_000
    static let maximumWorkers = 1024

    func validate() throws {
        guard (1...Self.maximumProjects).contains(projects) else {
            throw ValidationError("--projects must be 1 to \(Self.maximumProjects), not \(projects)")
        }
        guard (0...projects).contains(backlog) else { throw ValidationError("--backlog must be 0 to --projects (\(projects)), not \(backlog)") }
        guard (1...Self.maximumWorkers).contains(workers) else {
            throw ValidationError("--workers must be 1 to \(Self.maximumWorkers), not \(workers)")
        }
        if let asOf, CivilDate(input: asOf) == nil { throw ValidationError("--as-of must be a date (\(CivilDate.acceptedForm)), not '\(asOf)'") }
    }

    func run() async throws {
        // Its workers (up to --workers) share the pool's 20 connections, each batch holding one for as long as it loads.
        try await database.withContext(workflows: workflows, connectionWait: .seconds(86_400)) { context in
            let day = asOf.flatMap(CivilDate.init(input:)) ?? context.today
            let seeder = ProvinceSeeder(database: context.database, registry: context.registry)
            let started = ContinuousClock.now
            let done = Mutex(0)
            let total = projects
            let summary = try await seeder.run(.init(projects: projects, seed: seed, backlog: backlog, asOf: day, workers: workers)) { count in
                let now = done.withLock { value in
                    value += count
                    return value
                }
                if now % 50_000 < count || now == total {
                    print("  \(now) / \(total) projects (\(started.duration(to: .now)))")
                }
            }
            let seconds = Double(started.duration(to: .now).components.seconds)
            for (role, token) in summary.tokens.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                print("token of the province's \(role.rawValue) (shown once): \(token)")
            }
            print("""
                seeded \(summary.projects) projects (\(summary.openProjects) open) as of \(day): \(summary.items) items, \(summary.events) events, \
                \(summary.defaultApprovals) default approvals, \(summary.escalations) escalations, backlog \(backlog) — \
                \(Int(seconds)) s, \(Int(Double(summary.projects) / max(seconds, 1))) projects/s
                """)
            if summary.refused > 0 { print("warning: the engine refused \(summary.refused) generated actions") }
        }
    }
}
