import ApprovalTestSupport
import PostgresNIO
import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

let projectRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let shippedCatalog: DefinitionCatalog = try! DefinitionCatalog.load(directory: projectRoot.appending(path: "Workflows").path)

/// 2026-03-02 09:00 in Shanghai, a Monday and a working day.
let testStart = Date(timeIntervalSince1970: 1_772_413_200)

/// The users every test server has, one token each; the token is the user's key here.
enum TestUser: String, CaseIterable, Sendable {
    case admin
    case investor
    case otherInvestor
    case reviewer
    case planningReviewer
    case ecologyReviewer
    case otherRegionReviewer
    case coordinator
    case otherRegionCoordinator
    case leader
    case agent
    case otherAgent

    var token: String { "test-\(rawValue)" }

    var newUser: NewUser {
        switch self {
        case .admin: NewUser(name: "Admin", role: .admin, region: "330000")
        case .investor: NewUser(name: "Investor A", role: .investor, region: "330302", organisation: "ORG-A")
        case .otherInvestor: NewUser(name: "Investor B", role: .investor, region: "330302", organisation: "ORG-B")
        case .reviewer: NewUser(name: "发改窗口", role: .reviewer, region: "330302", department: "development-reform")
        case .planningReviewer: NewUser(name: "资规窗口", role: .reviewer, region: "330300", department: "natural-resources-planning")
        case .ecologyReviewer: NewUser(name: "生态环境窗口", role: .reviewer, region: "330302", department: "ecology-environment")
        case .otherRegionReviewer: NewUser(name: "杭州发改窗口", role: .reviewer, region: "330100", department: "development-reform")
        case .coordinator: NewUser(name: "温州代办中心", role: .coordinator, region: "330300")
        case .otherRegionCoordinator: NewUser(name: "杭州代办中心", role: .coordinator, region: "330100")
        case .leader: NewUser(name: "省效能办", role: .leader, region: "330000")
        case .agent: NewUser(name: "代办员 王", role: .agent, region: "330302", phone: "138")
        case .otherAgent: NewUser(name: "代办员 李", role: .agent, region: "330302")
        }
    }
}

/// A running application on a fresh database of its own, with the shipped workflows and the test users.
struct TestServer: Sendable {
    let client: any TestClientProtocol
    let database: Database
    let location: DatabaseLocation
    let clock: VirtualClock
    let userIDs: [TestUser: Int64]
    let context: ServerContext

    static let testEgress: WebhookEgress = {
        do { return try WebhookEgress(allow: "127.0.0.1", development: false) } catch { fatalError("\(error)") }
    }()

    /// `.live` runs the real HTTP server on a loopback port (for what happens before routing); `.router` skips it.
    /// Tests read fresh gauges on every scrape unless they test the refresh interval itself.
    static func run(start: Date = testStart, virtualClockControl: Bool = false, setup: TestingSetup = .router,
                    settings: ServerSettings = ServerSettings(gaugeRefresh: .zero),
                    _ body: @escaping @Sendable (TestServer) async throws -> Void) async throws {
        try await DatabaseTemplate.shared.withFreshDatabase(projectRoot: projectRoot) { database, location in
            try await serve(database, at: location, start: start, virtualClockControl: virtualClockControl, setup: setup, settings: settings, body)
        }
    }

    /// The application on a migrated `database` of the caller's, with the test users; reads that may be behind go
    /// to `readReplica` when given.
    static func serve(_ database: Database, at location: DatabaseLocation, start: Date = testStart, virtualClockControl: Bool = false,
                      setup: TestingSetup = .router, settings: ServerSettings = ServerSettings(gaugeRefresh: .zero), readReplica: ReadReplica? = nil,
                      _ body: @escaping @Sendable (TestServer) async throws -> Void) async throws {
        let registry = try await WorkflowRegistry.register(shippedCatalog, in: database)
        let userIDs = try await database.transaction { connection in
            var ids: [TestUser: Int64] = [:]
            for user in TestUser.allCases {
                let created = try await UserRepository.create(user.newUser, on: connection, logger: database.logger)
                _ = try await UserRepository.issueToken(for: created.id, publicSecret: user.token, on: connection, logger: database.logger)
                ids[user] = created.id
            }
            return ids
        }
        let clock = VirtualClock(start)
        // The tests' webhook receivers listen on loopback, which an operator would have to allow too.
        let context = ServerContext(database: database, registry: registry, clock: clock,
                                    migrationsFolder: projectRoot.appending(path: "Migrations"), virtualClockControl: virtualClockControl,
                                    webhookEgress: Self.testEgress, settings: settings, readReplica: readReplica)
        var logger = Logger(label: "approvals-tests")
        logger.logLevel = .error
        let app = try buildApplication(context, port: 0, logger: logger)
        try await app.test(setup) { client in
            try await body(TestServer(client: client, database: database, location: location, clock: clock, userIDs: userIDs,
                                      context: context))
        }
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, as user: TestUser?, json: String? = nil,
              headers extra: [String: String] = [:]) async throws -> Reply {
        var headers = HTTPFields()
        if let user { headers[.authorization] = "Bearer \(user.token)" }
        if json != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers,
                                                       body: json.map { ByteBuffer(string: $0) })
        return Reply(status: response.status.code, headers: response.headers,
                     text: String(buffer: response.body))
    }

    /// Creates an enterprise project for Investor A in 330302 and returns its code.
    func createEnterpriseProject(name: String = "测试项目", extra: String = "") async throws -> String {
        let reply = try await call(.post, "/v1/projects", as: .investor, json: """
            {"workflow": "enterprise-investment", "name": "\(name)", "region": "330302"\(extra), "attributes": {
              "approval-mode": "filing", "in-regional-assessment-zone": false, "land-supply": "transfer",
              "annual-energy-tce": 1500, "land-area-sqm": 32000, "eia-category": "report-book",
              "special-construction-project": true, "builds-civil-air-defence": true}}
            """)
        #expect(reply.status == 201, "\(reply.text)")
        return reply.string("code") ?? ""
    }

    /// A complete application for `item`: one document of the investor's library attached to every material the
    /// item requires (each a PUT, as an investor's client does), so a reviewer may accept it.
    func attachEveryMaterial(_ code: String, _ item: String, as user: TestUser = .investor) async throws {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(TestUser.investor.token)"
        headers[.contentType] = "application/pdf"
        let uploaded = try await client.executeRequest(uri: "/v1/materials?name=%E7%94%B3%E8%AF%B7%E6%9D%90%E6%96%99", method: .post,
                                                       headers: headers, body: ByteBuffer(string: "%PDF-1.7\n申请材料\n"))
        let material = try #require(Reply(status: uploaded.status.code, headers: uploaded.headers, text: String(buffer: uploaded.body)).int("id"))
        let status = try await call(.get, "/v1/projects/\(code)", as: user)
        let requirements = (status.item(item)["materials"] as? [[String: Any]] ?? []).compactMap { $0["requirement"] as? String }
        #expect(!requirements.isEmpty, "item \(item) of \(code) lists no materials: \(status.text)")
        for requirement in requirements {
            let reply = try await call(.put, "/v1/projects/\(code)/items/\(item)/materials/\(requirement)", as: user, json: #"{"material": \#(material)}"#)
            #expect(reply.status == 200, "\(reply.text)")
        }
    }

    func act(_ code: String, _ item: String, _ body: String, as user: TestUser, headers: [String: String] = [:]) async throws -> Reply {
        try await call(.post, "/v1/projects/\(code)/items/\(item)/actions", as: user, json: body, headers: headers)
    }

    func sql(_ query: String) async throws {
        try await database.read { try await $0.query(PostgresQuery(unsafeSQL: query), logger: database.logger) }
    }

    func count(_ query: String) async throws -> Int {
        try await database.read { try await $0.query(PostgresQuery(unsafeSQL: query), logger: database.logger).collect().first!.decode(Int.self) }
    }
}

/// A response with its JSON body parsed.
struct Reply: Sendable {
    let status: Int
    let headers: HTTPFields
    let text: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    func string(_ key: String) -> String? { json[key] as? String }
    func int(_ key: String) -> Int? { json[key] as? Int }
    func list(_ key: String) -> [[String: Any]] { json[key] as? [[String: Any]] ?? [] }
    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }

    func item(_ id: String) -> [String: Any] { list("items").first { $0["id"] as? String == id } ?? [:] }
}
