import Foundation

// The types and server stubs of the `/v1` API are generated from openapi.yaml at build time by
// swift-openapi-generator: the spec is the contract, and nothing else here is hand-written.

/// The contract itself, as published at `/openapi.yaml`.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            return "# openapi.yaml was not installed next to the server binary\n"
        }
        return text
    }()
}
