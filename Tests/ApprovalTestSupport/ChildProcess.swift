import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program the tests run (openssl, the `approvals` binary), started with posix_spawn and waited for by
/// waitpid on a thread of its own, as `EmbeddedPostgres` runs pg_ctl. Not Foundation's `Process`: in a test run
/// that starts programs from several tests at once, its termination handler was now and then never called, and
/// the test waiting for it hung until its time limit.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    private let exit: AsyncStream<Termination>

    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Starts `command` (an absolute path or a name found on PATH, then its arguments) with standard input from
    /// /dev/null and standard output and error into `output` (or /dev/null).
    public init(_ command: [String], environment: [String: String]? = nil, output: URL? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process (its pools' and servers' sockets) is handed on. glibc has this since 2.34;
        // Swift's Glibc module does not import it (it is a GNU extension), so it is looked up.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        }
        var arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var environmentPointers = variables.map { strdup($0) } + [nil]
        defer { environmentPointers.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, &arguments, &environmentPointers)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT) }
        self.pid = pid
        let (exit, exited) = AsyncStream.makeStream(of: Termination.self)
        self.exit = exit
        let child = pid
        Thread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
            exited.yield((status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f))
            exited.finish()
        }.start()
    }

    /// How the program ended, once it has (without holding a thread of the concurrency pool meanwhile).
    public func termination() async -> Termination? {
        var ending = exit.makeAsyncIterator()
        return await ending.next()
    }

    /// Runs `command` to its end.
    public static func run(_ command: [String], environment: [String: String]? = nil, output: URL? = nil) async throws -> Termination? {
        try await ChildProcess(command, environment: environment, output: output).termination()
    }
}
