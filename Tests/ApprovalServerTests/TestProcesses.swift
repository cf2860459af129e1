import ApprovalTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What tests do outside the server under test: run the `approvals` binary, and talk raw TCP to a live server.
/// Neither blocks a thread of the test run's small concurrency pool (a blocked pool starves everything else).
enum TestProcesses {
    /// Runs `approvals` with `arguments` (and DATABASE_URL when given) to its end: its exit status and what it
    /// wrote (standard output and error).
    static func approvals(_ arguments: [String], databaseURL: String? = nil) async throws -> (status: Int32, errors: String) {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL { environment["DATABASE_URL"] = databaseURL }
        let output = FileManager.default.temporaryDirectory.appending(path: "approvals-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: output) }
        let termination = try await ChildProcess.run([SweeperProcessTests.executable.path] + arguments, environment: environment, output: output)
        let status: Int32 = switch termination {
        case let .exited(code)?: code
        case let .signalled(signal)?: 128 + signal
        case nil: -1
        }
        return (status, try String(contentsOf: output, encoding: .utf8))
    }

    /// On the caller's thread (one `withSocket` runs on): connects, sends `text`, and returns what `read` makes of
    /// the socket.
    static func exchange<T>(port: Int, _ text: String, read: (Int32) -> T) throws -> T {
        let socket = try connected(port: port, timeout: 10)
        defer { close(socket) }
        _ = text.withCString { send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        return read(socket)
    }

    /// A socket connected to `port` on loopback, its reads and writes giving up after `seconds`; the caller closes it.
    private static func connected(port: Int, timeout seconds: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw POSIXError(.ECONNREFUSED)
        }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// Runs `body` with a TCP socket connected to 127.0.0.1:`port`, on a thread of its own, with `seconds` as the
    /// socket's send and receive timeouts.
    static func withSocket<T: Sendable>(port: Int, timeout seconds: Int, _ body: @escaping @Sendable (Int32) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let socket = try connected(port: port, timeout: seconds)
                    defer { close(socket) }
                    return try body(socket)
                })
            }.start()
        }
    }
}
