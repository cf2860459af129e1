import Crypto
import Foundation

/// How receivers know a delivery came from us and is fresh: `X-Approvals-Signature: t=<unix seconds>,v1=<hex>`,
/// where the hex is HMAC-SHA256 with the subscription's secret over `<t>.<body>`. Signing the timestamp with the
/// body lets a receiver refuse replays older than a few minutes (the scheme Stripe and others use).
public enum WebhookSignature {
    public static let header = "X-Approvals-Signature"

    public static func sign(body: Data, secret: String, timestamp: Int) -> String {
        "t=\(timestamp),v1=\(hmac(body: body, secret: secret, timestamp: timestamp))"
    }

    /// True when the header carries a valid signature of `body` made within `tolerance` seconds of `now`.
    public static func verify(header: String, body: Data, secret: String, now: Date = Date(), tolerance: TimeInterval = 300) -> Bool {
        var fields: [Substring: Substring] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard let timestamp = fields["t"].flatMap({ Int($0) }), let given = fields["v1"],
              abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        // Compared in constant time, so a forger learns nothing from how long a refusal takes.
        let expected = Array(hmac(body: body, secret: secret, timestamp: timestamp).utf8)
        let actual = Array(given.utf8)
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func hmac(body: Data, secret: String, timestamp: Int) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
