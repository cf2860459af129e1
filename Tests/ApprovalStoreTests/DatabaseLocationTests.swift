import ApprovalStore
import ApprovalTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite("DATABASE_URL: TLS as asked, credentials never repeated", .timeLimit(.minutes(5)))
struct DatabaseLocationTests {
    @Test func sslmodeRequireRequiresTLS() throws {
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example:5432/approvals?sslmode=require").endpoint
                == .tcp(host: "db.example", port: 5432, tls: .require))
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals").endpoint == .tcp(host: "db.example", port: 5432, tls: .prefer))
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=disable").endpoint
                == .tcp(host: "db.example", port: 5432, tls: .disable))
        // Passed on to a child process as it was asked.
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=require").url.hasSuffix("?sslmode=require"))
        #expect(throws: DatabaseLocationError.self) { try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=allow") }
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=verify-full&sslrootcert=/etc/hostname").endpoint
                == .tcp(host: "db.example", port: 5432, tls: .verifyFull(rootCertificate: "/etc/hostname")))
    }

    @Test func aPasswordIsNeverInAMessage() throws {
        for bad in ["mysql://app:s3cr3t-pw@db.example/approvals", "postgres://app:s3cr3t-pw@db.example/", "postgres://app:s3cr3t-pw@/approvals"] {
            do {
                _ = try DatabaseLocation(url: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!error.description.contains("s3cr3t"), "\(error.description)")
            }
        }
        #expect(!(try DatabaseLocation(url: "postgres://app:s3cr3t-pw@db.example/approvals")).description.contains("s3cr3t"))
    }
}

/// `verify-full` against a real server speaking TLS with a certificate of our own making.
@Suite("DATABASE_URL: verify-full checks the server's certificate against sslrootcert", .timeLimit(.minutes(5)))
struct DatabaseTLSTests {
    let logger = Logger(label: "test")

    /// Runs `command` to its end without blocking a thread of the tests' small concurrency pool (a blocked pool
    /// starves the database pools' run loops, and the whole test run hangs).
    static func run(_ command: [String]) async throws {
        guard try await ChildProcess.run(command) == .exited(0) else {
            throw CocoaError(.executableLoad, userInfo: ["command": command.joined(separator: " ")])
        }
    }

    /// A self-signed certificate for `name`, and its key.
    static func certificate(for name: String, in folder: URL) async throws -> (certificate: String, key: String) {
        let certificate = folder.appending(path: "\(name).crt").path, key = folder.appending(path: "\(name).key").path
        try await run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(name)",
                       "-addext", "subjectAltName=DNS:\(name)", "-keyout", key, "-out", certificate])
        return (certificate, key)
    }

    /// Whether a query gets through within ten seconds (the pool keeps retrying a connection the handshake
    /// refused, so a refusal shows as no answer).
    func connects(_ url: String) async -> Bool {
        guard let location = try? DatabaseLocation(url: url) else { return false }
        let logger = logger
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await Database.withClient(location, logger: logger) { database in
                    try await database.read { try await $0.query("SELECT 1", logger: logger).collect().count == 1 }
                }) ?? false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func verifyFullTrustsOnlyTheGivenRootForTheHostConnectedTo() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "approvals-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(chmod(folder.path, 0o755) == 0)
        let server = try await Self.certificate(for: "localhost", in: folder)
        let stranger = try await Self.certificate(for: "stranger.example", in: folder)
        #expect(chmod(server.certificate, 0o644) == 0)
        // PostgreSQL reads its key only when its own user owns it and nobody else may read it.
        if getuid() == 0 { try await Self.run(["chown", "postgres", server.key]) }
        let port = Int.random(in: 20_000..<30_000)
        let cluster = try EmbeddedPostgres(folder: folder.appending(path: "cluster"), settings: [
            "fsync": "off", "listen_addresses": "'127.0.0.1'", "port": "\(port)", "ssl": "on",
            "ssl_cert_file": "'\(server.certificate)'", "ssl_key_file": "'\(server.key)'",
        ])
        _ = try await cluster.startOffThePool()
        defer { cluster.stop() }
        let base = "postgres://postgres@localhost:\(port)/postgres"
        #expect(await connects("\(base)?sslmode=require"))
        #expect(await connects("\(base)?sslmode=verify-full&sslrootcert=\(server.certificate)"))
        // Another root: the server's certificate is not trusted.
        #expect(await !connects("\(base)?sslmode=verify-full&sslrootcert=\(stranger.certificate)"))
        // The right root, another name: verify-ca passes, verify-full does not.
        let byAddress = "postgres://postgres@127.0.0.1:\(port)/postgres"
        #expect(await connects("\(byAddress)?sslmode=verify-ca&sslrootcert=\(server.certificate)"))
        #expect(await !connects("\(byAddress)?sslmode=verify-full&sslrootcert=\(server.certificate)"))
        #expect(throws: DatabaseLocationError.self) { try DatabaseLocation(url: "\(base)?sslmode=verify-full&sslrootcert=/nonexistent.pem") }
    }

    /// A server that does not speak TLS (or something in the middle that strips it) gets no connection under
    /// `sslmode=require`; `prefer` falls back to plain text, as libpq does.
    @Test func requireRefusesAServerWithoutTLS() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "approvals-plain-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(chmod(folder.path, 0o755) == 0)
        let port = Int.random(in: 30_000..<40_000)
        let cluster = try EmbeddedPostgres(folder: folder.appending(path: "cluster"), settings: [
            "fsync": "off", "listen_addresses": "'127.0.0.1'", "port": "\(port)", "ssl": "off",
        ])
        _ = try await cluster.startOffThePool()
        defer { cluster.stop() }
        let base = "postgres://postgres@127.0.0.1:\(port)/postgres"
        #expect(await connects("\(base)?sslmode=prefer"))
        #expect(await connects("\(base)?sslmode=disable"))
        #expect(await !connects("\(base)?sslmode=require"))
    }
}
