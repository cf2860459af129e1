import ApprovalStore
import Foundation
import Testing

@Suite("Canonical JSON for the audit chain")
struct JSONValueTests {
    @Test func keyOrderAndNumberFormDoNotChangeTheCanonicalText() throws {
        let one = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"b": [1, 2.5, "x\"y"], "a": {"z": true, "y": null}, "n": 3.0}"#.utf8))
        let two = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"n": 3, "a": {"y": null, "z": true}, "b": [1, 2.5, "x\"y"]}"#.utf8))
        #expect(one.canonicalText == two.canonicalText)
        #expect(one.canonicalText == #"{"a":{"y":null,"z":true},"b":[1,2.5,"x\"y"],"n":3}"#)
        #expect(JSONValue.string("营业执照\n").canonicalText == "\"营业执照\\n\"")
    }

    @Test func theHashDependsOnThePreviousHashAndEveryField() {
        let canonical = AuditChain.canonicalEncoding(projectID: 1, seq: 1, atMilliseconds: 5, onDate: "2026-03-02", kind: "item.approve",
                                                     itemID: "a", actorID: 2, payload: .object(["action": .string("approve")]))
        let edited = AuditChain.canonicalEncoding(projectID: 1, seq: 1, atMilliseconds: 5, onDate: "2026-03-02", kind: "item.approve",
                                                  itemID: "b", actorID: 2, payload: .object(["action": .string("approve")]))
        #expect(AuditChain.hash(previous: AuditChain.genesis, canonical: canonical) != AuditChain.hash(previous: AuditChain.genesis, canonical: edited))
        #expect(AuditChain.hash(previous: AuditChain.genesis, canonical: canonical)
                != AuditChain.hash(previous: Data(repeating: 1, count: 32), canonical: canonical))
    }
}
