/// A GB/T 2260 division code used as a jurisdiction: 330000 (province) covers 33xxxx, 330300 (city) covers
/// 3303xx, 330302 (district) only itself, and 000000 the whole country.
public struct Jurisdiction: Sendable, Hashable {
    public let region: String

    public init?(_ region: String) {
        guard region.count == 6, region.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        self.region = region
    }

    /// The leading digits every covered region shares.
    public var prefix: String {
        var digits = Substring(region)
        while digits.hasSuffix("00") { digits = digits.dropLast(2) }
        return String(digits)
    }

    public func covers(_ other: String) -> Bool { other.hasPrefix(prefix) }

    /// The jurisdictions that cover this region: itself, the regions above it, and the whole country (000000).
    public var coveredBy: [String] {
        region == "000000" ? [region] : [region] + ancestors + ["000000"]
    }

    /// The regions above this one, nearest first: a district's city, then its province (330302 → 330300, 330000).
    public var ancestors: [String] {
        var digits = Array(prefix)
        var result: [String] = []
        while digits.count > 2 {
            digits.removeLast(2)
            result.append(String(digits) + String(repeating: "0", count: 6 - digits.count))
        }
        return result
    }
}
