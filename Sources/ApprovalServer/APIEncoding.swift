import Foundation
import OpenAPIRuntime

/// How the API writes JSON, in one place: the runtime's answers and the stored status answers
/// (StoredStatusMiddleware) must be byte for byte the same. Keys sorted, so answers are stable; not
/// pretty-printed, which multiplied the size and encoding time of large reports (BENCHMARKS.md).
enum APIEncoding {
    static let configuration = Configuration(jsonEncodingOptions: [.sortedKeys])

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
