import ApprovalStore
import Testing

@Suite("DATABASE_URL: TLS as asked, credentials never repeated", .timeLimit(.minutes(5)))
struct DatabaseLocationTests {
    @Test func sslmodeRequireRequiresTLS() throws {
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example:5432/approvals?sslmode=require").endpoint
                == .tcp(host: "db.example", port: 5432, tls: .require))
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals").endpoint == .tcp(host: "db.example", port: 5432, tls: .prefer))
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=disable").endpoint
                == .tcp(host: "db.example", port: 5432, tls: .disable))
        // Passed on to a child process as it was asked.
        #expect(try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=require").url.hasSuffix("?sslmode=require"))
        #expect(throws: DatabaseLocationError.self) { try DatabaseLocation(url: "postgres://app:pw@db.example/approvals?sslmode=allow") }
    }

    @Test func aPasswordIsNeverInAMessage() throws {
        for bad in ["mysql://app:s3cr3t-pw@db.example/approvals", "postgres://app:s3cr3t-pw@db.example/", "postgres://app:s3cr3t-pw@/approvals"] {
            do {
                _ = try DatabaseLocation(url: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!error.description.contains("s3cr3t"), "\(error.description)")
            }
        }
        #expect(!(try DatabaseLocation(url: "postgres://app:s3cr3t-pw@db.example/approvals")).description.contains("s3cr3t"))
    }
}
