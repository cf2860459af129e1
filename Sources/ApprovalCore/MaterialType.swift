/// What a file is, by its content rather than its name: the types a window accepts (PDF, OFD, JPEG, PNG). An
/// executable renamed `.pdf` is still an executable.
public enum MaterialType: String, Sendable, CaseIterable {
    case pdf = "application/pdf"
    case ofd = "application/ofd"
    case jpeg = "image/jpeg"
    case png = "image/png"

    /// How many leading bytes `detect` needs at most.
    public static let prefixLength = 512

    /// The type of a file that starts with `prefix`; otherwise what it looks like instead, for the refusal.
    public static func detect(_ prefix: [UInt8]) -> Result<MaterialType, Unaccepted> {
        func starts(_ magic: [UInt8]) -> Bool { prefix.count >= magic.count && Array(prefix[0..<magic.count]) == magic }
        if starts(Array("%PDF-".utf8)) { return .success(.pdf) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .success(.png) }
        if starts([0xFF, 0xD8, 0xFF]) { return .success(.jpeg) }
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            // OFD (GB/T 33190) is a ZIP package whose entry point is OFD.xml, written first.
            if prefix.count >= 30 {
                let length = Int(prefix[26]) | Int(prefix[27]) << 8
                if prefix.count >= 30 + length, String(decoding: prefix[30..<30 + length], as: UTF8.self).lowercased() == "ofd.xml" {
                    return .success(.ofd)
                }
            }
            return .failure(.init(looksLike: "a ZIP archive"))
        }
        if starts([0x7F, 0x45, 0x4C, 0x46]) || starts([0x4D, 0x5A]) || starts([0xCF, 0xFA, 0xED, 0xFE]) || starts(Array("#!".utf8)) {
            return .failure(.init(looksLike: "a program"))
        }
        return .failure(.init(looksLike: prefix.isEmpty ? "empty" : "of an unknown type"))
    }

    public struct Unaccepted: Error, Sendable, Hashable {
        public let looksLike: String
    }

    /// The extension a downloaded copy should have.
    public var fileExtension: String {
        switch self {
        case .pdf: "pdf"
        case .ofd: "ofd"
        case .jpeg: "jpg"
        case .png: "png"
        }
    }
}
