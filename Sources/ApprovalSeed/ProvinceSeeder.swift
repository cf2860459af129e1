import ApprovalStore
import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// `approvals seed`: a province's worth of realistic history for benchmarks and trials — every workflow,
/// projects started over three years in all 90 counties of a province, items in every state (supplements,
/// default approvals, escalations, formal documents), agents at three levels with assignments, agreements,
/// progress logs, difficult cases and ratings, and each project's events with a valid audit chain. Loaded with
/// COPY in batches, each batch one transaction, on as many workers as there are cores.
///
/// The first run creates the province's staff and prints a random token for its administrator and its leader,
/// shown that once (SeedCommand); seed a trial database, never a production one.
public struct ProvinceSeeder: Sendable {
    public struct Options: Sendable {
        public var projects: Int
        public var seed: UInt64
        /// Of the projects, how many are a sweeper backlog: recent projects whose departments never decided and
        /// whose deadlines passed while no sweeper ran, due now.
        public var backlog: Int
        /// The generated history ends on this day.
        public var asOf: CivilDate
        public var workers: Int
        public var batchSize: Int
        /// The projects (but the backlog) were registered, in order, over this many days before `asOf`.
        public var spanDays: Int

        public init(projects: Int, seed: UInt64, backlog: Int = 0, asOf: CivilDate, workers: Int = 2, batchSize: Int = 400,
                    spanDays: Int = 3 * 365) {
            self.projects = projects
            self.seed = seed
            self.backlog = backlog
            self.asOf = asOf
            self.workers = workers
            self.batchSize = batchSize
            self.spanDays = spanDays
        }
    }

    public struct Summary: Sendable {
        public var projects = 0
        public var events = 0
        public var items = 0
        public var openProjects = 0
        public var defaultApprovals = 0
        public var escalations = 0
        /// Planned actions the engine refused; the generator is wrong if this is not zero.
        public var refused = 0
        /// Tokens issued by this run (the first): the province's administrator's and leader's, shown once.
        public var tokens: [Role: String] = [:]

        mutating func add(_ other: Summary) {
            projects += other.projects; events += other.events; items += other.items; openProjects += other.openProjects
            defaultApprovals += other.defaultApprovals; escalations += other.escalations; refused += other.refused
        }
    }


    let database: Database
    let registry: WorkflowRegistry

    public init(database: Database, registry: WorkflowRegistry) {
        self.database = database
        self.registry = registry
    }

    public func run(_ options: Options, progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        // The generator writes projects of the shipped workflows; definitions without them (`--workflows`) are
        // refused before anything is written.
        let missing = SeedShape.workflows.filter { registry.currentVersion(of: $0) == nil }
        guard missing.isEmpty else {
            throw SeedError(description: "the definitions lack the workflows the generator writes (\(missing.joined(separator: ", "))); seed with the shipped Workflows/")
        }
        // For an empty province, built after the load. An interrupted run's are built by `approvals migrate`
        // before any command, this one included, may start again (`DatabaseSession.prepareSchema`).
        try await DeferredIndexes.deferIfEmpty(tables: SeedBatchGenerator.Tables.names, in: database)
        let staff = try await SeedStaff.ensure(departments: registry.catalog.departments.mapValues(\.name), in: database)
        let ids = try await database.transaction { connection in
            try await IDRanges.reserve(projects: options.projects, on: connection, logger: database.logger)
        }
        let batches = (options.projects + options.batchSize - 1) / options.batchSize
        let contents = try await SeedContents.ensure(in: database)
        let generator = SeedBatchGenerator(registry: registry, staff: staff, ids: ids, options: options, contents: contents)
        let logger = database.logger
        let loadStarted = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Summary.self) { group in
            for worker in 0..<options.workers {
                group.addTask { [database] in
                    var summary = Summary()
                    var shapes = SeedShapes()
                    for batch in stride(from: worker, to: batches, by: options.workers) {
                        let range = (batch * options.batchSize)..<min(options.projects, (batch + 1) * options.batchSize)
                        let (tables, batchSummary) = generator.generate(range, shapes: &shapes)
                        try await SeedError.explained {
                            try await BulkLoad.copy(tables.map { .init(table: $0.table, columns: $0.columns, bytes: $0.bytes) }, in: database)
                        }
                        summary.add(batchSummary)
                        progress(range.count)
                    }
                    return summary
                }
            }
            var total = Summary()
            total.tokens = staff.tokens
            for try await summary in group { total.add(summary) }
            // What follows the load is PostgreSQL's work alone; timed for BENCHMARKS.md.
            func timed(_ step: String, _ body: () async throws -> Void) async throws {
                let started = ContinuousClock.now
                try await body()
                logger.info("\(step) in \(started.duration(to: .now))")
            }
            logger.info("loaded in \(loadStarted.duration(to: .now))")
            // The bulk load bypassed the triggers that keep the report tallies. The recount reads the tables while
            // their indexes are built, as CREATE INDEX lets it, and uses the time the builds wait on the disk: the
            // builds alone left cores idle (BENCHMARKS.md). (A primary key built with its constraint locks its table
            // whole, so one of them may wait for the other; both finish.)
            async let tallies: Void = timed("recounted the report tallies") { try await ReportTally.rebuild(in: database) }
            try await timed("built the deferred indexes") { try await DeferredIndexes.build(in: database, sessions: options.workers) }
            try await tallies
            try await timed("analyzed") { try await BulkLoad.analyze(in: database) }
            return total
        }
    }
}

/// The id ranges a run writes with explicit ids (events and agreements name them), taken from the sequences
/// up front so batches can be generated independently.
struct IDRanges: Sendable {
    let firstProject: Int64
    let firstUser: Int64
    let firstAgreement: Int64
    let firstProgress: Int64
    let firstCase: Int64
    let firstMaterial: Int64
    /// Per project at most: progress updates and cases.
    static let progressPerProject: Int64 = 4
    static let casesPerProject: Int64 = 1

    static func reserve(projects: Int, on connection: PostgresConnection, logger: Logger) async throws -> IDRanges {
        func reserve(_ table: String, _ count: Int64) async throws -> Int64 {
            try await BulkLoad.reserveIDs(table, count: count, on: connection, logger: logger)
        }
        let count = Int64(max(projects, 1))
        let organisations = count / Int64(SeedBatchGenerator.projectsPerOrganisation) + 1
        return IDRanges(firstProject: try await reserve("projects", count),
                        firstUser: try await reserve("users", organisations),
                        firstAgreement: try await reserve("agency_agreements", count),
                        firstProgress: try await reserve("progress_updates", count * progressPerProject),
                        firstCase: try await reserve("difficult_cases", count * casesPerProject),
                        firstMaterial: try await reserve("materials", organisations * SeedContents.materialsPerOrganisation))
    }
}

/// The people of the seeded province: each department's window, a coordinator and leader per city, and agents
/// at city, county and township level. Created by the first run, found again by later ones.
struct SeedStaff: Sendable {
    /// City code → department → that department's window there.
    let reviewers: [String: [String: Int64]]
    let coordinators: [String: Int64]
    /// County code → agents working there (county and township level), plus the city's agents.
    let agents: [String: [(id: Int64, name: String)]]
    /// The tokens issued to the province's administrator and leader by the run that created them.
    let tokens: [Role: String]

    static let marker = "（生成）"

    static func ensure(departments: [String: String], in database: Database) async throws -> SeedStaff {
        let logger = database.logger
        return try await database.transaction { connection in
            let existing = try await UserRepository.named(endingWith: marker, on: connection, logger: logger).count
            if existing == 0 {
                var users: [NewUser] = [
                    NewUser(name: "省审批管理员\(marker)", role: .admin, region: ProvinceMap.province),
                    NewUser(name: "省效能监察\(marker)", role: .leader, region: ProvinceMap.province),
                ]
                for city in ProvinceMap.cities {
                    users.append(NewUser(name: "\(city.name)代办中心\(marker)", role: .coordinator, region: city.code))
                    users.append(NewUser(name: "\(city.name)领导\(marker)", role: .leader, region: city.code))
                    for (department, name) in departments.sorted(by: { $0.key < $1.key }) {
                        users.append(NewUser(name: "\(city.name)\(name)窗口\(marker)", role: .reviewer, region: city.code, department: department))
                    }
                    for n in 1...2 {
                        users.append(NewUser(name: "\(city.name)市级代办员\(n)\(marker)", role: .agent, region: city.code,
                                             phone: "138\(city.code.prefix(4))\(n)000", agentLevel: .city, agentCapacity: 60))
                    }
                    for county in city.counties {
                        for n in 1...3 {
                            users.append(NewUser(name: "\(county.name)代办员\(n)\(marker)", role: .agent, region: county.code,
                                                 phone: "139\(county.code.suffix(4))\(n)00", agentLevel: .county, agentCapacity: 40))
                        }
                        for n in 1...4 {
                            users.append(NewUser(name: "\(county.name)乡镇代办员\(n)\(marker)", role: .agent, region: county.code,
                                                 phone: "137\(county.code.suffix(4))\(n)00", agentLevel: .township, agentCapacity: 20))
                        }
                    }
                }
                for user in users { _ = try await UserRepository.create(user, on: connection, logger: logger) }
            }
            // The province's administrator and leader get a random token when they are created: shown once.
            var tokens: [Role: String] = [:]
            if existing == 0 {
                for role in [Role.admin, .leader] {
                    let staff = try await UserRepository.named(endingWith: marker, on: connection, logger: logger)
                    guard let id = staff.first(where: { $0.role == role && $0.region == ProvinceMap.province })?.id else {
                        throw SeedError(description: "the seeded province has no \(role.rawValue) of \(ProvinceMap.province)")
                    }
                    tokens[role] = try await UserRepository.issueToken(for: id, on: connection, logger: logger).token
                }
            }
            var reviewers: [String: [String: Int64]] = [:], coordinators: [String: Int64] = [:]
            var agents: [String: [(id: Int64, name: String)]] = [:]
            var cityAgents: [String: [(id: Int64, name: String)]] = [:]
            for user in try await UserRepository.named(endingWith: marker, on: connection, logger: logger) {
                switch user.role {
                case .reviewer: reviewers[user.region, default: [:]][user.department ?? ""] = user.id
                case .coordinator: coordinators[user.region] = user.id
                case .agent where user.region.hasSuffix("00"): cityAgents[user.region, default: []].append((user.id, user.name))
                case .agent: agents[user.region, default: []].append((user.id, user.name))
                default: break
                }
            }
            for county in ProvinceMap.counties { agents[county.code, default: []] += cityAgents[county.city.code] ?? [] }
            return SeedStaff(reviewers: reviewers, coordinators: coordinators, agents: agents, tokens: tokens)
        }
    }
}

/// A batch PostgreSQL refused, with PostgreSQL's own message (the client's default description hides it).
public struct SeedError: Error, CustomStringConvertible {
    public let description: String

    static func explained<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as PSQLError { throw SeedError(description: LoggedError.describe(error)) }
    }
}

/// The few documents every seeded library's materials share, stored once (in PostgreSQL) through the store's own
/// upload path: the same bytes are found again by a later run.
struct SeedContents: Sendable {
    static let licenceKind = "business-licence"
    static let materialsPerOrganisation: Int64 = 2
    let licence: Int64
    let documents: Int64

    static func ensure(in database: Database) async throws -> SeedContents {
        func store(_ text: String) async throws -> Int64 {
            let bytes = DemoData.pdf(text)
            return try await database.transaction { connection in
                try await MaterialRepository.receive(AsyncStream { $0.yield(bytes[...]); $0.finish() }, limit: bytes.count,
                                                     store: DatabaseContentStore(), on: connection, logger: database.logger).id
            }
        }
        return SeedContents(licence: try await store("Business licence of a seeded investor"),
                            documents: try await store("Application documents of a seeded project"))
    }
}
