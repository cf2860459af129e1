import Foundation
import OpenAPIRuntime

/// How the API writes JSON, in one place: the runtime's answers and the stored status answers
/// (StoredStatusMiddleware) must be byte for byte the same. Keys sorted, so answers are stable; not
/// pretty-printed, which made a province's overdue report 14 MB and a third of its time.
enum APIEncoding {
    static let configuration = Configuration(jsonEncodingOptions: [.sortedKeys])

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
