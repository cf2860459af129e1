import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit trail, and signed checkpoints of it kept outside the database.",
        subcommands: [Verify.self, Checkpoint.self, Keygen.self]
    )

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 signing key for checkpoints to a file (readable by its owner only) and print its public key."
        )

        @Option(help: "Where to write the private key; it must not exist yet.") var key: String

        func run() throws {
            guard !FileManager.default.fileExists(atPath: key) else { throw ValidationError("\(key) exists; a key is never overwritten") }
            let (privateKey, publicKey) = AuditCheckpoint.newKey()
            guard FileManager.default.createFile(atPath: key, contents: Data((privateKey + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(key)")
            }
            print("public key (give it to whoever verifies): \(publicKey)")
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign every project's chain head and length (a Merkle root) and append it to a checkpoint log kept outside the database.",
            discussion: "Run it on a schedule (daily, or hourly) from a machine whose disk the database administrators cannot write, and keep the log on write-once storage. Only heads that changed since the log's last line are written."
        )

        @Option(help: "The Ed25519 private key file (approvals audit keygen).") var key: String
        @Option(help: "The checkpoint log to append to (created if missing).") var log: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let signingKey = try AuditCheckpoint.privateKey(try String(contentsOfFile: key, encoding: .utf8))
            let existing = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let previous = try AuditCheckpoint.replayLog(existing, publicKey: signingKey.publicKey)
            try await DatabaseSession.with(logger: database.makeLogger()) { db, _ in
                try await DatabaseSession.prepareSchema(db, migrationsFolder: database.migrationsFolder, apply: false)
                let current = try await AuditCheckpoint.currentHeads(db)
                let line = try AuditCheckpoint.makeLine(current: current, previous: previous.heads, at: Date(), key: signingKey)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                var text = try encoder.encode(line)
                text.append(UInt8(ascii: "\n"))
                if !FileManager.default.fileExists(atPath: log) {
                    FileManager.default.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o644])
                }
                let handle = try FileHandle(forWritingTo: URL(filePath: log))
                try handle.seekToEnd()
                try handle.write(contentsOf: text)
                try handle.synchronize()
                try handle.close()
                print("checkpoint \(line.at): \(line.projects) projects, \(line.events) events, root \(line.root) (line \(previous.lines + 1) of \(log))")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every project's event hash chain and check its rows against its events; with --checkpoints, also that every chain still passes through its checkpointed head. Reports the first problem of each project and exits 1 if any."
        )

        @Option(help: "A checkpoint log (approvals audit checkpoint) to check the chains against.") var checkpoints: String?
        @Option(help: "The public key the checkpoint log is signed with (hex, as approvals audit keygen printed it).") var publicKey: String?
        @Option(help: "Directory holding departments.yaml, calendars/ and the workflow files, to replay the projects' events.")
        var workflows: String = ProcessInfo.processInfo.environment["APPROVALS_WORKFLOWS"] ?? "Workflows"
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if checkpoints != nil, publicKey == nil { throw ValidationError("--checkpoints needs --public-key: a log is only evidence when checked against the key it was signed with") }
        }

        func run() async throws {
            var checkpointed: (heads: [Int64: AuditCheckpoint.Head], recordedAt: [Int64: String], lines: Int)?
            if let checkpoints, let publicKey {
                let key = try AuditCheckpoint.publicKey(publicKey)
                do {
                    checkpointed = try AuditCheckpoint.replayLog(try String(contentsOfFile: checkpoints, encoding: .utf8), publicKey: key)
                } catch let error as AuditCheckpoint.CheckpointError {
                    print("BROKEN  \(error.message)")
                    throw ExitCode(1)
                }
            }
            try await database.withContext(workflows: workflows) { context in
                let db = context.database
                var report = try await AuditChain.verify(db)
                var seen = Set(report.broken.map(\.projectCode))
                func add(_ links: [AuditChain.BrokenLink]) {
                    for link in links where seen.insert(link.projectCode).inserted { report.broken.append(link) }
                }
                if let checkpointed {
                    add(try await AuditCheckpoint.differences(from: checkpointed.heads, recordedAt: checkpointed.recordedAt, in: db))
                }
                add(try await AuditReplay.verify(db, registry: context.registry))
                for link in report.broken { print("BROKEN  \(link)") }
                let against = checkpointed.map { ", against \($0.heads.count) checkpointed heads in \($0.lines) signed lines" } ?? ""
                print("\(report.projects) projects, \(report.events) events checked\(against): \(report.broken.isEmpty ? "every chain holds" : "\(report.broken.count) broken")")
                if !report.broken.isEmpty { throw ExitCode(1) }
            }
        }
    }
}
