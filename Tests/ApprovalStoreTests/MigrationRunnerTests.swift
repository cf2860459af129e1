import ApprovalTestSupport
import ApprovalStore
import Foundation
import Logging
import PostgresNIO
import Testing

let projectRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Migrations: ordered, recorded, transactional, locked, drift refused", .timeLimit(.minutes(5)))
struct MigrationRunnerTests {
    let logger = Logger(label: "test")

    /// A folder of migration files for one test.
    func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(to: url.appending(path: name), atomically: true, encoding: .utf8) }
        return url
    }

    /// An empty database of its own (the template holds the project's migrations, so start from a bare one).
    func withEmptyDatabase(_ body: (Database) async throws -> Void) async throws {
        try await DatabaseTemplate.shared.withFreshDatabase(projectRoot: projectRoot) { database, _ in
            try await database.read { connection in
                try await connection.query("DROP SCHEMA public CASCADE", logger: logger)
                try await connection.query("CREATE SCHEMA public", logger: logger)
            }
            try await body(database)
        }
    }

    func tables(_ database: Database) async throws -> [String] {
        try await database.read { connection in
            try await connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: logger)
                .collect().map { try $0.decode(String.self) }
        }
    }

    @Test func appliesInOrderOnceAndRecordsEach() async throws {
        let files = try folder([
            "0001_first.sql": "CREATE TABLE a (id int);\n-- a comment; with a semicolon\nCREATE TABLE b (note text DEFAULT 'x;y');",
            "0002_second.sql": "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;\nCREATE TABLE c (id int);",
        ])
        try await withEmptyDatabase { database in
            let runner = MigrationRunner(migrations: try Migration.load(from: files), logger: logger)
            #expect(try await runner.status(database) == .pending(["0001_first.sql", "0002_second.sql"]))
            #expect(try await runner.migrate(database.client) == ["0001_first.sql", "0002_second.sql"])
            #expect(try await runner.migrate(database.client) == [])
            #expect(try await runner.status(database) == .current)
            #expect(try await tables(database) == ["a", "b", "c", "schema_migrations"])
        }
    }

    @Test func replicasStartingTogetherApplyEachMigrationOnce() async throws {
        let files = try folder(["0001_first.sql": "CREATE TABLE a (id int); SELECT pg_sleep(0.2);"])
        try await withEmptyDatabase { database in
            let runner = MigrationRunner(migrations: try Migration.load(from: files), logger: logger)
            async let one = runner.migrate(database.client)
            async let two = runner.migrate(database.client)
            let applied = try await [one, two]
            #expect(applied.flatMap { $0 } == ["0001_first.sql"])
        }
    }

    @Test func aFailingMigrationIsRolledBackWhole() async throws {
        let files = try folder(["0001_first.sql": "CREATE TABLE a (id int);", "0002_broken.sql": "CREATE TABLE b (id int);\nCREATE TABLE a (id int);"])
        try await withEmptyDatabase { database in
            let runner = MigrationRunner(migrations: try Migration.load(from: files), logger: logger)
            let error = await #expect(throws: MigrationError.self) { try await runner.migrate(database.client) }
            #expect(error?.message.contains("0002_broken.sql failed and was rolled back") == true)
            #expect(try await tables(database) == ["a", "schema_migrations"])
            #expect(try await runner.status(database) == .pending(["0002_broken.sql"]))
        }
    }

    @Test func driftIsRefusedNamingTheFile() async throws {
        let original = try folder(["0001_first.sql": "CREATE TABLE a (id int);", "0002_second.sql": "CREATE TABLE b (id int);"])
        try await withEmptyDatabase { database in
            try await MigrationRunner(migrations: try Migration.load(from: original), logger: logger).migrate(database.client)
            let edited = try folder(["0001_first.sql": "CREATE TABLE a (id bigint);", "0002_second.sql": "CREATE TABLE b (id int);"])
            let missing = try folder(["0002_second.sql": "CREATE TABLE b (id int);"])
            let skipped = try folder(["0001_first.sql": "CREATE TABLE a (id int);", "0002_second.sql": "CREATE TABLE b (id int);",
                                      "0003_third.sql": "SELECT 1;"])
            for (files, message) in [(edited, "0001_first.sql was edited after it was applied"),
                                     (missing, "0001_first.sql was applied to the database but is missing")] {
                let runner = MigrationRunner(migrations: try Migration.load(from: files), logger: logger)
                let error = await #expect(throws: MigrationError.self) { try await runner.migrate(database.client) }
                #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
                await #expect(throws: MigrationError.self) { try await runner.status(database) }
            }
            #expect(try await MigrationRunner(migrations: try Migration.load(from: skipped), logger: logger).migrate(database.client) == ["0003_third.sql"])
        }
    }

    /// A rolling upgrade migrates first, while the older release still serves: its files lack the newest
    /// migrations, which it neither applies nor calls drift.
    @Test func anOlderReleaseRunsOnADatabaseANewerOneMigrated() async throws {
        let newer = try folder(["0001_first.sql": "CREATE TABLE a (id int);", "0002_second.sql": "CREATE TABLE b (id int);"])
        let older = try folder(["0001_first.sql": "CREATE TABLE a (id int);"])
        try await withEmptyDatabase { database in
            try await MigrationRunner(migrations: try Migration.load(from: newer), logger: logger).migrate(database.client)
            let runner = MigrationRunner(migrations: try Migration.load(from: older), logger: logger)
            #expect(try await runner.status(database) == .ahead(["0002_second.sql"]))
            #expect(try await runner.migrate(database.client) == [])
        }
    }

    @Test func badlyNamedFilesAreAnError() throws {
        let files = try folder(["1_first.sql": "SELECT 1;"])
        #expect(throws: MigrationError.self) { try Migration.load(from: files) }
    }
}
