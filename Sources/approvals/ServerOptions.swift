import ArgumentParser
import Foundation
import Logging

/// Options of every command that opens the database. The database itself comes from DATABASE_URL, or is the
/// private cluster in ./.postgres when it is unset.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Folder of the NNNN_name.sql migrations.")
    var migrations: String = ProcessInfo.processInfo.environment["APPROVALS_MIGRATIONS"] ?? "Migrations"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    var migrationsFolder: URL { URL(filePath: migrations) }

    func makeLogger() -> Logger {
        var logger = Logger(label: "approvals")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}
