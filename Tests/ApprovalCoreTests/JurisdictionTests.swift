import ApprovalCore
import Testing

@Suite("Jurisdictions: real division codes, by shape", .timeLimit(.minutes(1)))
struct JurisdictionTests {
    @Test func onlyProvinceCityAndCountyCodesOfRealProvincesAreJurisdictions() {
        for region in ["330000", "330300", "330302", "110101", "419001", "820000", "000000"] {
            #expect(Jurisdiction(region) != nil, "\(region)")
        }
        // 300000 would cover seven provinces by prefix; 990000 is no province; 330003 is a county without a city.
        for region in ["300000", "990000", "100000", "330003", "33030", "3303021", "33030a", "３３０３０２"] {
            #expect(Jurisdiction(region) == nil, "\(region)")
        }
        #expect(Jurisdiction("330000")?.covers("330302") == true)
        #expect(Jurisdiction("330300")?.covers("330100") == false)
        // A region stored before the shape was enforced still loads, but covers only itself: not seven provinces.
        let stored = Jurisdiction(stored: "300000")
        #expect(stored.region == "300000" && stored.prefix == "300000" && stored.ancestors.isEmpty)
        #expect(!stored.covers("330302") && !stored.covers("310000") && stored.covers("300000"))
        #expect(Jurisdiction(stored: "330300") == Jurisdiction("330300") && Jurisdiction(stored: "330300").covers("330302"))
    }
}
