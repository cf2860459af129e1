import Foundation

/// A private PostgreSQL cluster in a folder of the project, started with the system's `initdb` and `pg_ctl`
/// when no `DATABASE_URL` is given, like embedded-postgres does for Java and Go.
///
/// PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres` system user and
/// every command runs as that user. The server listens only on a Unix socket inside the folder, so nothing on
/// the network can reach it.
public struct EmbeddedPostgres: Sendable {
    public let folder: URL
    /// Extra `-c name=value` settings, e.g. relaxed durability for a test cluster.
    public let settings: [String: String]
    public let binaries: URL
    private let runAs: String?

    public var dataFolder: URL { folder.appending(path: "data") }
    public var socketFolder: URL { folder.appending(path: "run") }
    public var logFile: URL { folder.appending(path: "postgres.log") }
    public var location: DatabaseLocation {
        DatabaseLocation(endpoint: .socket(path: socketFolder.appending(path: ".s.PGSQL.5432").path),
                         username: "postgres", password: nil, database: "postgres")
    }

    public init(folder: URL, settings: [String: String] = [:]) throws(EmbeddedPostgresError) {
        self.folder = folder.standardizedFileURL
        self.settings = settings
        binaries = try Self.findBinaries()
        runAs = getuid() == 0 ? "postgres" : nil
        if let runAs, getpwnam(runAs) == nil {
            throw EmbeddedPostgresError(message: "running as root, and PostgreSQL refuses to: create the system user '\(runAs)' (the Debian postgresql package does), run as another user, or set DATABASE_URL")
        }
        // A Unix socket path is limited to about 107 bytes.
        if socketFolder.path.utf8.count > 90 {
            throw EmbeddedPostgresError(message: "the folder \(folder.path) is too deep for PostgreSQL's Unix socket; move the checkout or set DATABASE_URL")
        }
    }

    /// `POSTGRES_BIN`, else the newest /usr/lib/postgresql/<version>/bin, else the folder of `pg_ctl` on PATH.
    static func findBinaries() throws(EmbeddedPostgresError) -> URL {
        let manager = FileManager.default
        var candidates: [URL] = []
        if let configured = ProcessInfo.processInfo.environment["POSTGRES_BIN"] { candidates.append(URL(filePath: configured)) }
        let versions = (try? manager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append(URL(filePath: "/usr/lib/postgresql/\(version)/bin"))
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(URL(filePath: String(folder)))
        }
        if let found = candidates.first(where: { manager.isExecutableFile(atPath: $0.appending(path: "initdb").path)
            && manager.isExecutableFile(atPath: $0.appending(path: "pg_ctl").path) }) {
            return found
        }
        throw EmbeddedPostgresError(message: "PostgreSQL server programs (initdb, pg_ctl) not found: install PostgreSQL 15 or newer (Debian/Ubuntu: apt-get install postgresql), set POSTGRES_BIN to the folder holding them, or set DATABASE_URL to use an existing server")
    }

    /// Creates the cluster on first use and starts it unless it is already running. Returns true when this
    /// call started it.
    @discardableResult
    public func start() throws(EmbeddedPostgresError) -> Bool {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: socketFolder, withIntermediateDirectories: true)
        } catch {
            throw EmbeddedPostgresError(message: "cannot create \(socketFolder.path): \(error)")
        }
        try handOver(folder)
        try handOver(socketFolder)
        if !manager.fileExists(atPath: dataFolder.appending(path: "PG_VERSION").path) {
            try? manager.removeItem(at: dataFolder)
            try run("initdb", ["-D", dataFolder.path, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
                    failure: "initdb could not create the cluster in \(dataFolder.path)")
        }
        if (try? run("pg_ctl", ["status", "-D", dataFolder.path], failure: "")) != nil { return false }
        var options = ["-c listen_addresses=''", "-c unix_socket_directories='\(socketFolder.path)'",
                       "-c unix_socket_permissions=0700"]
        options += settings.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }
        try run("pg_ctl", ["start", "-w", "-t", "60", "-D", dataFolder.path, "-l", logFile.path, "-o", options.joined(separator: " ")],
                failure: "PostgreSQL did not start; its log is \(logFile.path)")
        return true
    }

    public func stop() {
        _ = try? run("pg_ctl", ["stop", "-m", "fast", "-w", "-D", dataFolder.path], failure: "")
    }

    /// When we are root, the folder must belong to the user the server runs as.
    private func handOver(_ folder: URL) throws(EmbeddedPostgresError) {
        guard let runAs, let user = getpwnam(runAs) else { return }
        if chown(folder.path, user.pointee.pw_uid, user.pointee.pw_gid) != 0 || chmod(folder.path, 0o700) != 0 {
            throw EmbeddedPostgresError(message: "cannot give \(folder.path) to the '\(runAs)' user: \(String(cString: strerror(errno)))")
        }
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], failure: String) throws(EmbeddedPostgresError) -> String {
        let executable = binaries.appending(path: program).path
        // runuser needs no password and keeps our environment out; the cluster folder belongs to runAs.
        // From "/", which every user may enter (our working folder may not be).
        let command = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"]
            + (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable])
        let (status, text) = try spawn(command + arguments, failure: failure)
        guard status == 0 else {
            throw EmbeddedPostgresError(message: "\(failure)\n\(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }

    /// posix_spawn and waitpid rather than Foundation's Process: the server that `pg_ctl start` leaves running
    /// inherits whatever descriptors Process uses to notice the child's exit, so Process would wait forever.
    /// Output goes to a file for the same reason.
    private func spawn(_ command: [String], failure: String) throws(EmbeddedPostgresError) -> (Int32, String) {
        let outputPath = FileManager.default.temporaryDirectory.appending(path: "approvals-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &arguments, environ)
        guard spawned == 0 else {
            throw EmbeddedPostgresError(message: "\(failure): cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitCode, text)
    }
}

public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
