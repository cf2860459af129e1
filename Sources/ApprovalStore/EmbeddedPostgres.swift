import Foundation

/// A private PostgreSQL cluster in a folder of the project, started with the system's `initdb` and `pg_ctl`
/// when no `DATABASE_URL` is given, like embedded-postgres does for Java and Go.
///
/// PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres` system user and
/// every command runs as that user. That user must be able to enter the project's folder; when it cannot (a
/// checkout under root's mode-700 home, the usual case in a container) the cluster goes to a folder of its own
/// under /var/tmp/approvals-postgres instead. The server listens only on a Unix socket inside the cluster's
/// folder, so nothing on the network can reach it.
public struct EmbeddedPostgres: Sendable {
    /// Where the cluster is: the folder asked for, or for root the one under /var/tmp (see `relocationReason`).
    public let folder: URL
    /// The folder asked for, in the project.
    public let preferredFolder: URL
    /// Why the cluster is not in `preferredFolder`, e.g. "the 'postgres' user cannot enter /root/x"; nil when it is.
    public let relocationReason: String?
    /// Extra `-c name=value` settings, e.g. relaxed durability for a test cluster.
    public let settings: [String: String]
    public let binaries: URL
    /// When set, the cluster is made as a hot standby streaming from this server (`pg_basebackup -R`), not by initdb.
    public let primary: DatabaseLocation?
    private let runAs: String?

    public var dataFolder: URL { folder.appending(path: "data") }
    public var socketFolder: URL { folder.appending(path: "run") }
    public var logFile: URL { folder.appending(path: "postgres.log") }
    /// The pid of the process that started the server (or took it over) and stops it when done.
    public var ownerFile: URL { folder.appending(path: "owner.pid") }
    var pidFile: URL { dataFolder.appending(path: "postmaster.pid") }
    public var location: DatabaseLocation {
        DatabaseLocation(endpoint: .socket(path: socketFolder.appending(path: ".s.PGSQL.5432").path),
                         username: "postgres", password: nil, database: "postgres")
    }

    /// What `start()` found and did, for the one line callers log.
    public enum StartOutcome: Sendable, Equatable {
        /// initdb made the cluster, then it was started.
        case created
        /// The cluster had been stopped cleanly and was started.
        case started
        /// The server had been killed (postmaster.pid stayed behind); it was started and PostgreSQL recovered
        /// its data from the write-ahead log.
        case restartedAfterUncleanStop
        /// The server was running, left by a process that is gone (killed before it could stop it); this
        /// process now owns it.
        case tookOverLeftRunning
        /// The server was running for another live process (another `serve`, a test process in parallel, or an
        /// operator's `pg_ctl start`),
        /// which stops it.
        case alreadyRunning

        /// This process owns the server now, so it stops it when done.
        public var ownedHere: Bool { self != .alreadyRunning }

        public var summary: String {
            switch self {
            case .created: "created and started it"
            case .started: "started it"
            case .restartedAfterUncleanStop: "restarted it: it had stopped uncleanly (its server was killed), and PostgreSQL recovered its data"
            case .tookOverLeftRunning: "found it left running by a process that is gone, using it"
            case .alreadyRunning: "already running, started by another process, which stops it"
            }
        }
    }

    public init(folder: URL, settings: [String: String] = [:], standbyOf primary: DatabaseLocation? = nil) throws(EmbeddedPostgresError) {
        preferredFolder = folder.standardizedFileURL
        self.settings = settings
        self.primary = primary
        binaries = try Self.findBinaries()
        runAs = getuid() == 0 ? "postgres" : nil
        var reason: String?
        if let runAs {
            guard getpwnam(runAs) != nil else {
                throw EmbeddedPostgresError(message: "running as root, and PostgreSQL refuses to: create the system user '\(runAs)' (the Debian postgresql package does), run as a normal user, or set DATABASE_URL")
            }
            let project = preferredFolder.deletingLastPathComponent()
            if !Self.canEnter(project.path, as: runAs) {
                reason = "the '\(runAs)' user cannot enter \(project.path)"
            } else if Self.socketPathIsTooLong(preferredFolder) {
                reason = "\(project.path) is too deep for PostgreSQL's Unix socket"
            }
        }
        relocationReason = reason
        self.folder = reason == nil ? preferredFolder : try Self.sharedFolder(for: preferredFolder)
        if Self.socketPathIsTooLong(self.folder) {
            throw EmbeddedPostgresError(message: "the folder \(self.folder.path) is too deep for PostgreSQL's Unix socket; move the checkout or set DATABASE_URL")
        }
    }

    /// A Unix socket path is limited to about 107 bytes; the socket is run/.s.PGSQL.5432 in the cluster's folder.
    static func socketPathIsTooLong(_ folder: URL) -> Bool {
        folder.appending(path: "run").path.utf8.count > 90
    }

    /// Whether `user` may pass through `path` and every folder above it, asked of the system as that user, so
    /// permission bits, groups and ACLs all count. A folder not made yet counts as its nearest existing parent.
    static func canEnter(_ path: String, as user: String) -> Bool {
        var existing = path
        while existing != "/", !FileManager.default.fileExists(atPath: existing), let slash = existing.lastIndex(of: "/") {
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
        let command = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh", "/usr/sbin/runuser", "-u", user, "--",
                       "/usr/bin/env", "test", "-x", existing]
        return (try? spawn(command, failure: ""))?.0 == 0
    }

    /// Where root keeps the cluster when the `postgres` user cannot use the project's folder: a folder of its own
    /// under /var/tmp (kept across reboots, unlike /tmp on many systems), named after the project's path, so two
    /// checkouts never share a cluster and each finds its own again.
    static func sharedFolder(for preferred: URL) throws(EmbeddedPostgresError) -> URL {
        var isFolder: ObjCBool = false
        guard let base = ["/var/tmp", "/tmp"].first(where: { FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && isFolder.boolValue }) else {
            throw EmbeddedPostgresError(message: "running as root, the 'postgres' user cannot enter \(preferred.deletingLastPathComponent().path), and there is no /var/tmp or /tmp to keep the cluster in instead: set DATABASE_URL, run as a normal user, or move the checkout to a folder other users may enter")
        }
        let project = preferred.deletingLastPathComponent().resolvingSymlinksInPath().path
        // FNV-1a: short, and the same in every run (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in project.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let name = preferred.lastPathComponent.drop(while: { $0 == "." })
        return URL(filePath: base).appending(path: "approvals-postgres").appending(path: "\(String(format: "%016llx", hash).prefix(12))-\(name)")
    }

    /// The shared parent under /var/tmp must belong to root with only root able to add to it: it sits in a
    /// world-writable folder, where anyone could have made it first to get at the clusters inside. Everyone may
    /// pass through it to their own cluster folder.
    private static func prepareSharedParent(_ parent: URL) throws(EmbeddedPostgresError) {
        let advice = "set DATABASE_URL, run as a normal user, or move the checkout to a folder the 'postgres' user can enter"
        if mkdir(parent.path, 0o755) != 0 && errno != EEXIST {
            throw EmbeddedPostgresError(message: "cannot create \(parent.path) for the private cluster: \(String(cString: strerror(errno))); \(advice)")
        }
        var info = stat()
        guard lstat(parent.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == 0 else {
            throw EmbeddedPostgresError(message: "\(parent.path) is not a folder belonging to root (someone else made it, or it is a link): remove it, or \(advice)")
        }
        // mkdir applies the umask, and a folder made by hand may let others write: both would be wrong here.
        guard chmod(parent.path, 0o755) == 0 else {
            throw EmbeddedPostgresError(message: "cannot set the permissions of \(parent.path): \(String(cString: strerror(errno))); \(advice)")
        }
    }

    /// "private PostgreSQL cluster in <folder> (<what start found>)", for the one line callers log.
    public func describe(_ outcome: StartOutcome) -> String {
        let elsewhere = relocationReason.map { "; not in the project because \($0)" } ?? ""
        return "private PostgreSQL cluster in \(folder.path) (\(outcome.summary)\(elsewhere))"
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

    /// Creates the cluster on first use and starts it unless it is already running, coping with what a crash
    /// leaves: a server still running whose owner is gone (taken over), or a killed server's lock files.
    @discardableResult
    public func start() throws(EmbeddedPostgresError) -> StartOutcome {
        let manager = FileManager.default
        if relocationReason != nil { try Self.prepareSharedParent(folder.deletingLastPathComponent()) }
        do {
            try manager.createDirectory(at: socketFolder, withIntermediateDirectories: true)
        } catch {
            throw EmbeddedPostgresError(message: "cannot create \(socketFolder.path): \(error)")
        }
        try handOver(folder)
        try handOver(socketFolder)
        var created = false
        if !manager.fileExists(atPath: dataFolder.appending(path: "PG_VERSION").path) {
            try? manager.removeItem(at: dataFolder)
            if let primary {
                try run("pg_basebackup", ["-D", dataFolder.path, "-R", "-X", "stream", "-c", "fast", "-d", primary.url],
                        failure: "pg_basebackup could not copy \(primary) into \(dataFolder.path) (the primary must allow replication connections)")
            } else {
                try run("initdb", ["-D", dataFolder.path, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
                        failure: "initdb could not create the cluster in \(dataFolder.path) (remove that folder and retry, or set DATABASE_URL to use a server of your own)")
            }
            created = true
        }
        if runningServer != nil { return claimRunning() }
        // A clean stop removes postmaster.pid; finding it without its server means the server was killed.
        let unclean = manager.fileExists(atPath: pidFile.path)
        // The port names the socket file (`location`), so a PGPORT in our environment must not move it.
        var options = ["-c listen_addresses=''", "-c port=5432", "-c unix_socket_directories='\(socketFolder.path)'",
                       "-c unix_socket_permissions=0700"]
        options += settings.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }
        let arguments = ["start", "-w", "-t", "60", "-D", dataFolder.path, "-l", logFile.path, "-o", options.joined(separator: " ")]
        let failure = "PostgreSQL did not start; its log is \(logFile.path) (or set DATABASE_URL to use a server of your own)"
        // After a kill, the server's other processes take a moment to exit and release its shared memory, and
        // until then PostgreSQL refuses to start: try again for a few seconds.
        var lastError = EmbeddedPostgresError(message: failure)
        for attempt in 0..<(unclean ? 10 : 1) {
            if attempt > 0 { usleep(500_000) }
            if unclean { removeStaleLockFiles() }
            do throws(EmbeddedPostgresError) {
                try run("pg_ctl", arguments, failure: failure)
                return claim(created ? .created : unclean ? .restartedAfterUncleanStop : .started)
            } catch {
                // Another process (a parallel test process) started it at the same moment.
                if runningServer != nil { return claimRunning() }
                lastError = error
            }
        }
        throw lastError
    }

    /// `start()` on a thread of its own: initdb and pg_ctl take seconds, and waiting for them on one of the few
    /// threads of Swift's concurrency pool can starve every other task of the process.
    public func startOffThePool() async throws -> StartOutcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<StartOutcome, any Error>) in
            Thread { continuation.resume(with: Result { try start() }) }.start()
        }
    }

    /// `stop()` on a thread of its own, for the same reason as `startOffThePool()`.
    public func stopOffThePool() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                stop()
                continuation.resume()
            }.start()
        }
    }

    public func stop() {
        _ = try? run("pg_ctl", ["stop", "-m", "fast", "-w", "-D", dataFolder.path], failure: "")
        try? FileManager.default.removeItem(at: ownerFile)
    }

    /// The pid of the running server, nil when none runs. After a crash neither postmaster.pid nor `pg_ctl
    /// status` is enough: both trust kill(pid, 0), which also finds a killed server that lingers as a zombie
    /// (in containers whose first process reaps no orphans) or another process that got its pid since.
    public var runningServer: pid_t? {
        guard let pid = Self.firstLinePID(pidFile), Self.isLive(pid, named: "postgres"),
              (try? run("pg_ctl", ["status", "-D", dataFolder.path], failure: "")) != nil else { return nil }
        return pid
    }

    /// This process becomes the server's owner, the one that stops it.
    private func claim(_ outcome: StartOutcome) -> StartOutcome {
        try? "\(getpid())\n".write(to: ownerFile, atomically: true, encoding: .utf8)
        return outcome
    }

    /// A running server is left to its owner while that process lives (this one included), and to whoever started
    /// it when no process of ours did (an operator's `pg_ctl start`); it is taken over only when the process that
    /// owned it is gone, which is what a crash leaves.
    private func claimRunning() -> StartOutcome {
        guard let owner = Self.firstLinePID(ownerFile), !Self.isLive(owner) else { return .alreadyRunning }
        return claim(.tookOverLeftRunning)
    }

    /// postmaster.pid and the socket's lock file name the server that made them. PostgreSQL removes them itself
    /// when that pid is free or another user's (kill fails), but refuses to start when a zombie or another
    /// process of the same user holds it, so those go here. Only called when no server of ours runs.
    private func removeStaleLockFiles() {
        let socketLocks = ((try? FileManager.default.contentsOfDirectory(atPath: socketFolder.path)) ?? [])
            .filter { $0.hasPrefix(".s.PGSQL.") && $0.hasSuffix(".lock") }
            .map { socketFolder.appending(path: $0) }
        for file in [pidFile] + socketLocks {
            if let pid = Self.firstLinePID(file), !Self.isLive(pid, named: "postgres") { unlink(file.path) }
        }
    }

    static func firstLinePID(_ file: URL) -> pid_t? {
        guard let text = try? String(contentsOf: file, encoding: .utf8),
              let line = text.split(separator: "\n", maxSplits: 1).first else { return nil }
        return pid_t(line.trimmingCharacters(in: .whitespaces))
    }

    /// Whether `pid` is a live process (not a zombie) and, where that can be told (Linux's /proc), is named `name`.
    static func isLive(_ pid: pid_t, named name: String? = nil) -> Bool {
        guard pid > 0 else { return false }
        guard FileManager.default.fileExists(atPath: "/proc/self/stat") else {
            // No /proc (macOS): all kill(2) can tell is that the pid is taken.
            return kill(pid, 0) == 0 || errno == EPERM
        }
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return false }
        // "pid (comm) state …"; comm may itself hold parentheses, so it ends at the last one.
        let stat = String(decoding: buffer[..<count], as: UTF8.self)
        guard let nameStart = stat.firstIndex(of: "("), let nameEnd = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: nameEnd)...].dropFirst().first
        guard state != "Z", state != "X" else { return false }
        return name.map { stat[stat.index(after: nameStart)..<nameEnd] == $0 } ?? true
    }

    /// When we are root, the folder must belong to the user the server runs as. It is opened without following
    /// a symbolic link and changed through that descriptor: the folder lies inside one that user owns, and root
    /// must never hand a link's target (say /etc) to it.
    private func handOver(_ folder: URL) throws(EmbeddedPostgresError) {
        guard let runAs, let user = getpwnam(runAs) else { return }
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        defer { if descriptor >= 0 { close(descriptor) } }
        if descriptor < 0 || fchown(descriptor, user.pointee.pw_uid, user.pointee.pw_gid) != 0 || fchmod(descriptor, 0o700) != 0 {
            throw EmbeddedPostgresError(message: "cannot give \(folder.path) to the '\(runAs)' user (\(String(cString: strerror(errno))); a symbolic link there is refused): remove the folder, or set DATABASE_URL")
        }
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], failure: String) throws(EmbeddedPostgresError) -> String {
        let executable = binaries.appending(path: program).path
        // runuser needs no password; the cluster folder belongs to runAs.
        // From "/", which every user may enter (our working folder may not be).
        let command = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"]
            + (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable])
        let (status, text) = try Self.spawn(command + arguments, failure: failure)
        guard status == 0 else {
            throw EmbeddedPostgresError(message: "\(failure)\n\(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }

    /// posix_spawn and waitpid rather than Foundation's Process: the server that `pg_ctl start` leaves running
    /// inherits whatever descriptors Process uses to notice the child's exit, so Process would wait forever.
    /// Output goes to a file for the same reason.
    private static func spawn(_ command: [String], failure: String) throws(EmbeddedPostgresError) -> (Int32, String) {
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
