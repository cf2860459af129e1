import ApprovalCore
import ApprovalStore
import Foundation
import Testing

@Suite("Canonical JSON for the audit chain", .timeLimit(.minutes(5)))
struct JSONValueTests {
    @Test func keyOrderAndNumberFormDoNotChangeTheCanonicalText() throws {
        let one = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"b": [1, 2.5, "x\"y"], "a": {"z": true, "y": null}, "n": 3.0}"#.utf8))
        let two = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"n": 3, "a": {"y": null, "z": true}, "b": [1, 2.5, "x\"y"]}"#.utf8))
        #expect(one.canonicalText == two.canonicalText)
        #expect(one.canonicalText == #"{"a":{"y":null,"z":true},"b":[1,2.5,"x\"y"],"n":3}"#)
        #expect(JSONValue.string("营业执照\n").canonicalText == "\"营业执照\\n\"")
        #expect(JSONValue.string("a\u{1F}\\b\t").canonicalText == #""a\u001f\\b\t""#)
        #expect(JSONValue.int(-9_223_372_036_854_775_808).canonicalText == "-9223372036854775808")
        #expect(JSONValue.double(-0.5).canonicalText == "-0.5")
    }

    /// Chains written before today must still verify: the event's encoding is pinned byte for byte.
    @Test func anEventsCanonicalEncodingIsTheCanonicalTextOfItsEightFields() {
        let payload = JSONValue.object(["to": .string("approved"), "from": .string("accepted"), "n": .int(0)])
        let encoded = AuditChain.canonicalEncoding(projectID: 12, seq: 3, atMilliseconds: -5, onDate: "2026-03-02", kind: "item.approve",
                                                   itemID: nil, actorID: 7, payload: payload)
        let asObject = JSONValue.object([
            "project": .int(12), "seq": .int(3), "at": .int(-5), "on": .string("2026-03-02"), "kind": .string("item.approve"),
            "item": .null, "actor": .int(7), "payload": payload,
        ])
        #expect(encoded == asObject.canonicalBytes)
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"actor":7,"at":-5,"item":null,"kind":"item.approve","on":"2026-03-02","#
                + #""payload":{"from":"accepted","n":0,"to":"approved"},"project":12,"seq":3}"#)
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
