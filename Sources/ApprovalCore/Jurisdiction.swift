/// A GB/T 2260 division code used as a jurisdiction: 330000 (province) covers 33xxxx, 330300 (city) covers
/// 3303xx, 330302 (district) only itself, and 000000 the whole country. Only codes of that shape are accepted:
/// a province code that exists, then a city (or 90, the province's directly administered counties), then a
/// county; `300000` is no jurisdiction (by prefix it would cover seven provinces), nor is `330003`.
public struct Jurisdiction: Sendable, Hashable {
    public let region: String
    /// Whether the region has the shape of a division code; a stored one that has not covers only itself.
    private let recognised: Bool

    /// What a region must look like, for messages.
    public static let expectedForm = "a division code (GB/T 2260): a province PP0000, a city PPCC00 or a county PPCCXX, e.g. 330302"

    /// The provinces, autonomous regions, municipalities and special administrative regions.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ]

    public init?(_ region: String) {
        guard region.count == 6, region.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let province = region.prefix(2), city = region.dropFirst(2).prefix(2), county = region.suffix(2)
        guard region == "000000" || (Self.provinces.contains(String(province)) && (city != "00" || county == "00")) else { return nil }
        self.region = region
        recognised = true
    }

    /// A region as stored before this shape was enforced: any six digits, so old rows still load. One that is no
    /// division code covers that region alone, never what its digits would cover by prefix (a leader stored with
    /// `300000` does not read seven provinces).
    public init(stored region: String) {
        self.region = region
        recognised = Jurisdiction(region) != nil
    }

    /// The leading digits every covered region shares.
    public var prefix: String {
        guard recognised else { return region }
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
        guard recognised else { return [] }
        var digits = Array(prefix)
        var result: [String] = []
        while digits.count > 2 {
            digits.removeLast(2)
            result.append(String(digits) + String(repeating: "0", count: 6 - digits.count))
        }
        return result
    }
}
