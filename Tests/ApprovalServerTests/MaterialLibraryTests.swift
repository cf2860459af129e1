import ApprovalServer
import ApprovalStore
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The material library: documents uploaded once, stored once, typed by content, read back byte for byte.
@Suite("Material library: upload once, stored once, downloaded exactly", .timeLimit(.minutes(5)))
struct MaterialLibraryTests {
    /// A PDF of `size` bytes: the magic, then bytes that differ with `seed`.
    static func pdf(size: Int, seed: UInt8 = 1) -> [UInt8] {
        Array("%PDF-1.7\n".utf8) + (0..<max(0, size - 9)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// Sends `bytes` as the body, as a client uploading a file does.
    static func send(_ server: TestServer, _ method: HTTPRequest.Method, _ path: String, bytes: [UInt8], as user: TestUser,
                     headers extra: [String: String] = [:]) async throws -> (Reply, [UInt8]) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(user.token)"
        headers[.contentType] = "application/pdf"
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let response = try await server.client.executeRequest(uri: path, method: method, headers: headers,
                                                              body: bytes.isEmpty ? nil : ByteBuffer(bytes: bytes))
        let body = Array(buffer: response.body)
        return (Reply(status: response.status.code, headers: response.headers, text: String(decoding: body, as: UTF8.self)), body)
    }

    static func upload(_ server: TestServer, _ bytes: [UInt8], name: String = "营业执照", kind: String? = "business-licence",
                       as user: TestUser = .investor) async throws -> Reply {
        let query = "name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" + (kind.map { "&kind=\($0)" } ?? "")
        return try await send(server, .post, "/v1/materials?\(query)", bytes: bytes, as: user).0
    }

    @Test func anUploadIsStoredOnceAndReadBackByteForByte() async throws {
        try await TestServer.run { server in
            let file = Self.pdf(size: 3 * 1_048_576 + 12_345)
            let uploaded = try await Self.upload(server, file)
            #expect(uploaded.status == 201, "\(uploaded.text)")
            let current = try #require(uploaded.json["current"] as? [String: Any])
            #expect(current["sha256"] as? String == Self.hex(file))
            #expect(current["size"] as? Int == file.count && current["mediaType"] as? String == "application/pdf")
            let id = try #require(uploaded.int("id"))

            // The same bytes again, under another name: a second material, one stored content.
            #expect(try await Self.upload(server, file, name: "营业执照副本").status == 201)
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 1)
            #expect(try await server.call(.get, "/v1/materials", as: .investor).list("materials").count == 2)

            let (whole, bytes) = try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor)
            #expect(whole.status == 200 && bytes == file)
            #expect(whole.header("ETag") == "\"sha256:\(Self.hex(file))\"")
            #expect(whole.header("Content-Type") == "application/pdf")
            #expect(whole.header("Content-Disposition")?.contains("filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf") == true,
                    "\(whole.header("Content-Disposition") ?? "")")
            // A range across a stored piece's edge, the last bytes, and an unchanged copy.
            let (part, slice) = try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor,
                                                    headers: ["Range": "bytes=1048570-1048590"])
            #expect(part.status == 206 && slice == Array(file[1_048_570...1_048_590]))
            #expect(part.header("Content-Range") == "bytes 1048570-1048590/\(file.count)")
            let (tail, end) = try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor, headers: ["Range": "bytes=-100"])
            #expect(tail.status == 206 && end == Array(file.suffix(100)))
            let beyond = try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor,
                                             headers: ["Range": "bytes=\(file.count + 10)-"]).0
            #expect(beyond.status == 416)
            let unchanged = try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor,
                                                headers: ["If-None-Match": "\"sha256:\(Self.hex(file))\""]).0
            #expect(unchanged.status == 304)
            #expect(try await server.count("SELECT count(*)::int FROM material_downloads") == 3)

            // A renewed licence: version 2, and version 1 still readable.
            let renewed = Self.pdf(size: 5000, seed: 9)
            let second = try await Self.send(server, .post, "/v1/materials/\(id)/versions?validUntil=2031-06-30", bytes: renewed, as: .investor).0
            #expect(second.status == 201 && (second.json["versions"] as? [Any])?.count == 2 && second.string("validUntil") == "2031-06-30", "\(second.text)")
            #expect(try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor).1 == renewed)
            #expect(try await Self.send(server, .get, "/v1/materials/\(id)/content?version=1", bytes: [], as: .investor).1 == file)
        }
    }

    @Test func anotherOrganisationCannotLearnThatAMaterialExists() async throws {
        try await TestServer.run { server in
            let id = try #require(try await Self.upload(server, Self.pdf(size: 2000)).int("id"))
            #expect(try await server.call(.get, "/v1/materials/\(id)", as: .otherInvestor).status == 404)
            #expect(try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .otherInvestor).0.status == 404)
            #expect(try await server.call(.get, "/v1/materials/999999", as: .otherInvestor).status == 404)
            #expect(try await server.call(.get, "/v1/materials", as: .otherInvestor).list("materials").isEmpty)
            #expect(try await Self.upload(server, Self.pdf(size: 100), as: .reviewer).status == 403)
        }
    }

    @Test func theContentDecidesTheTypeAndTheSizeIsLimited() async throws {
        try await TestServer.run { server in
            // An executable renamed .pdf, sent as application/pdf.
            let program = [0x7F, 0x45, 0x4C, 0x46] + [UInt8](repeating: 0, count: 600)
            let refused = try await Self.upload(server, program, name: "营业执照.pdf")
            #expect(refused.status == 415 && refused.string("type") == "/problems/unsupported-type", "\(refused.text)")
            #expect(try await Self.upload(server, Self.pdf(size: 60 << 20)).status == 413)
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 100)
            let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 8, count: 100)
            var ofd: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 22) + [7, 0, 0, 0] + Array("OFD.xml".utf8)
            ofd += [UInt8](repeating: 1, count: 50)
            for (bytes, type) in [(png, "image/png"), (jpeg, "image/jpeg"), (ofd, "application/ofd")] {
                let reply = try await Self.upload(server, bytes, name: "照片", kind: nil)
                #expect((reply.json["current"] as? [String: Any])?["mediaType"] as? String == type, "\(reply.text)")
            }
            let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 22) + [5, 0, 0, 0] + Array("a.exe".utf8)
            #expect(try await Self.upload(server, zip, name: "x", kind: nil).status == 415)
            #expect(try await Self.upload(server, Self.pdf(size: 100), kind: "passport").string("field") == "kind")
            #expect(try await Self.upload(server, Self.pdf(size: 100), name: "a\u{0}b").status == 400)
            // Nothing of the refused uploads was kept.
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 3)
        }
    }

    @Test func theOrganisationsQuotaIsKept() async throws {
        let settings = ServerSettings(gaugeRefresh: .zero, materials: .init(organisationQuotaBytes: 10_000))
        try await TestServer.run(settings: settings) { server in
            #expect(try await Self.upload(server, Self.pdf(size: 6000)).status == 201)
            let over = try await Self.upload(server, Self.pdf(size: 6000, seed: 2))
            #expect(over.status == 413 && over.string("type") == "/problems/quota", "\(over.text)")
            // The same bytes again take no more room.
            #expect(try await Self.upload(server, Self.pdf(size: 6000)).status == 201)
            #expect(try await server.count("SELECT count(*)::int FROM materials") == 2)
            // What the refused upload stored is in no library, and goes a day later.
            #expect(try await server.count("SELECT count(*)::int FROM material_contents c WHERE EXISTS (SELECT 1 FROM material_versions v WHERE v.content_id = c.id)") == 1)
            try await server.sql("UPDATE material_contents SET created_at = now() - interval '2 days'")
            try await DeadlineSweeper(context: server.context).pruneExpired()
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 1)
            // A full library refuses before it takes any byte.
            #expect(try await Self.upload(server, Self.pdf(size: 4000, seed: 3)).status == 201)
            let full = try await Self.upload(server, Self.pdf(size: 100, seed: 4))
            #expect(full.status == 413 && full.string("type") == "/problems/quota", "\(full.text)")
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 2)
        }
    }

    /// Every upload holds a database connection while its bytes arrive: one organisation may have only so many
    /// under way, and a whole upload only so long, so slow clients cannot take the pool from everyone else.
    @Test func uploadsUnderWayAreBoundedInNumberAndTime() async throws {
        let settings = ServerSettings(gaugeRefresh: .zero, materials: .init(concurrentUploadsPerOrganisation: 1, uploadTime: .seconds(2)))
        try await TestServer.run(setup: .live, settings: settings) { server in
            let port = try #require(server.client.port)
            let token = TestUser.investor.token
            let (second, first) = try await TestProcesses.withSocket(port: port, timeout: 20) { slow in
                func head(_ length: Int) -> String {
                    "POST /v1/materials?name=slow HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/pdf\r\nContent-Length: \(length)\r\n\r\n%PDF-1.7\n"
                }
                func status(_ socket: Int32) -> String {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let count = recv(socket, &buffer, buffer.count, 0)
                    return count > 12 ? String(decoding: buffer[9..<12], as: UTF8.self) : "none"
                }
                // The first upload starts, then stalls; the second comes once the first is surely under way.
                _ = head(1_000_000).withCString { Glibc.send(slow, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                usleep(1_500_000)
                // Meanwhile the organisation's second is refused with a time to retry.
                let second = try TestProcesses.exchange(port: port, head(20) + "0123456789a", read: status)
                // Its next byte comes well after the whole upload's time ran out: the answer is 408. (Only one byte, so
                // none arrives after the server has closed the connection, which would reset it before it is read.)
                usleep(3_500_000)
                var byte = UInt8(ascii: "x")
                _ = Glibc.send(slow, &byte, 1, Int32(MSG_NOSIGNAL))
                return (second, status(slow))
            }
            #expect(second == "429")
            #expect(first == "408")
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 0)
            // Both gone, the organisation uploads again.
            let again = try await TestProcesses.withSocket(port: port, timeout: 20) { socket in
                let request = "POST /v1/materials?name=again HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/pdf\r\nContent-Length: 20\r\nConnection: close\r\n\r\n%PDF-1.7\n0123456789a"
                _ = request.withCString { Glibc.send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(socket, &buffer, buffer.count, 0)
                return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : "nothing within 20 s"
            }
            #expect(again.hasPrefix("HTTP/1.1 201"), "\(again)")
        }
    }

    /// curl and other clients ask before sending a file (`Expect: 100-continue`) and wait a second for an answer
    /// that never comes unless the server gives it.
    @Test func aClientThatAsksBeforeUploadingIsToldToGoOnAtOnce() async throws {
        try await TestServer.run(setup: .live) { server in
            let port = try #require(server.client.port)
            let token = TestUser.investor.token
            let (interim, final) = try await TestProcesses.withSocket(port: port, timeout: 20) { socket in
                func read() -> String {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let count = recv(socket, &buffer, buffer.count, 0)
                    return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
                }
                let body = "%PDF-1.7\nasked first\n"
                let head = "POST /v1/materials?name=asked HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/pdf\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
                _ = head.withCString { Glibc.send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                let interim = read()
                _ = body.withCString { Glibc.send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                return (interim, read())
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            #expect(final.contains("HTTP/1.1 201") || interim.contains("HTTP/1.1 201"), "\(interim)\(final)")
        }
    }

    struct Disconnected: Error {}

    /// A stream that ends in an error half way: what a client that disconnects mid-upload sends.
    struct BrokenUpload: AsyncSequence, Sendable {
        typealias Element = ArraySlice<UInt8>
        struct AsyncIterator: AsyncIteratorProtocol {
            var sent = 0
            mutating func next() async throws -> ArraySlice<UInt8>? {
                sent += 1
                guard sent <= 3 else { throw Disconnected() }
                return (sent == 1 ? Array("%PDF-1.7\n".utf8) + [UInt8](repeating: 1, count: 700_000) : [UInt8](repeating: 2, count: 700_000))[...]
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
    }

    @Test(arguments: [false, true])
    func aDirectoryStoreKeepsOneFilePerContentAndAnInterruptedUploadLeavesNothing(directory: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "approvals-materials-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try DirectoryContentStore(root: folder)
        let settings = ServerSettings(gaugeRefresh: .zero, materials: .init(directory: directory ? store : nil))
        try await TestServer.run(settings: settings) { server in
            let file = Self.pdf(size: 1_500_000)
            let id = try #require(try await Self.upload(server, file).int("id"))
            _ = try await Self.upload(server, file, name: "再传一次")
            #expect(try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor).1 == file)
            let files = try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".uploads") && $0.count > 3 }
            #expect(files == (directory ? ["\(Self.hex(file).prefix(2))/\(Self.hex(file))"] : []))
            #expect(try await server.count("SELECT count(*)::int FROM material_chunks") == (directory ? 0 : 2))

            let uploadStore: any MaterialContentStore = directory ? store : DatabaseContentStore()
            await #expect(throws: Disconnected.self) {
                try await server.database.transaction { connection in
                    _ = try await MaterialRepository.receive(BrokenUpload(), limit: 50 << 20, store: uploadStore, on: connection, logger: server.database.logger)
                }
            }
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appending(path: ".uploads").path).isEmpty)
            // Content no version refers to (its material was never recorded) is collected a day later, file and all.
            let orphan = Self.pdf(size: 4000, seed: 5)
            try await server.database.transaction { connection in
                let pieces = AsyncStream<ArraySlice<UInt8>> { stream in
                    stream.yield(orphan[...])
                    stream.finish()
                }
                _ = try await MaterialRepository.receive(pieces, limit: 50 << 20, store: uploadStore, on: connection, logger: server.database.logger)
            }
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 2)
            try await DeadlineSweeper(context: server.context).pruneExpired()
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 2)  // not yet a day old
            try await server.sql("UPDATE material_contents SET created_at = now() - interval '2 days'")
            try await DeadlineSweeper(context: server.context).pruneExpired()
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 1)
            #expect(!FileManager.default.fileExists(atPath: store.path(of: Data(SHA256.hash(data: orphan))).path))
            #expect(try await Self.send(server, .get, "/v1/materials/\(id)/content", bytes: [], as: .investor).1 == file)
            // A stream longer than the limit is cut off as it arrives, whatever length it declared.
            await #expect(throws: MaterialUploadError.tooLarge(limit: 1_000_000)) {
                try await server.database.transaction { connection in
                    let pieces = AsyncStream<ArraySlice<UInt8>> { stream in
                        stream.yield(Array("%PDF-".utf8)[...])
                        stream.yield([UInt8](repeating: 0, count: 1_000_000)[...])
                        stream.finish()
                    }
                    _ = try await MaterialRepository.receive(pieces,
                                                             limit: 1_000_000, store: uploadStore, on: connection, logger: server.database.logger)
                }
            }
        }
    }
}

@Suite("Applications carry materials: attached from the library, read by the deciding department", .timeLimit(.minutes(5)))
struct ItemMaterialTests {
    func attach(_ server: TestServer, _ code: String, _ item: String, _ requirement: String, material: Int, as user: TestUser = .investor) async throws -> Reply {
        try await server.call(.put, "/v1/projects/\(code)/items/\(item)/materials/\(requirement)", as: user, json: #"{"material": \#(material)}"#)
    }

    @Test func aLicenceUploadedOnceServesTwoProjectsAndTheDepartmentReadsItExactly() async throws {
        try await TestServer.run { server in
            let licence = MaterialLibraryTests.pdf(size: 250_000, seed: 3)
            let material = try #require(try await MaterialLibraryTests.upload(server, licence).int("id"))
            let first = try await server.createEnterpriseProject()
            let second = try await server.createEnterpriseProject(name: "第二个项目")
            // The library holds a licence: every requirement of that kind offers it to the applicant, without a
            // second upload; the status everyone who may see the project reads does not list the library.
            func requirement(_ id: String, as user: TestUser) async throws -> [String: Any]? {
                try await server.call(.get, "/v1/projects/\(second)/items/project-filing/materials", as: user).list("materials")
                    .first { $0["requirement"] as? String == id }
            }
            #expect(try await requirement("business-licence", as: .investor)?["offered"] as? [Int] == [material])
            #expect(try await requirement("business-licence", as: .reviewer)?["offered"] == nil)
            let status = try await server.call(.get, "/v1/projects/\(second)", as: .investor)
            #expect((status.item("project-filing")["materials"] as? [[String: Any]])?.allSatisfy { $0["offered"] == nil } == true)
            let idCard = try #require(try await MaterialLibraryTests.upload(server, MaterialLibraryTests.pdf(size: 900, seed: 6), name: "法定代表人身份证",
                                                                          kind: "legal-representative-id").int("id"))
            #expect(try await requirement("legal-representative-id", as: .investor)?["offered"] as? [Int] == [idCard])
            // An expired licence is neither offered nor taken: a window would refuse it.
            let expired = try #require(try await MaterialLibraryTests.send(server, .post, "/v1/materials?name=old&kind=business-licence&validUntil=2025-12-31",
                                                                           bytes: MaterialLibraryTests.pdf(size: 800, seed: 8), as: .investor).0.int("id"))
            #expect(try await requirement("business-licence", as: .investor)?["offered"] as? [Int] == [material])
            let stale = try await attach(server, first, "project-filing", "business-licence", material: expired)
            #expect(stale.status == 422 && stale.string("detail")?.contains("expired on 2025-12-31") == true, "\(stale.text)")
            for code in [first, second] {
                let attached = try await attach(server, code, "project-filing", "business-licence", material: material)
                #expect(attached.status == 200, "\(attached.text)")
                let requirement = (attached.item("project-filing")["materials"] as? [[String: Any]])?.first { $0["requirement"] as? String == "business-licence" }
                let carried = try #require(requirement?["attached"] as? [String: Any])
                #expect(carried["material"] as? Int == material && carried["sha256"] as? String == MaterialLibraryTests.hex(licence))
                #expect(requirement?["core"] as? Bool == true)
            }
            // The licence stored once for both projects (beside the identity card and the expired licence).
            #expect(try await server.count("SELECT count(*)::int FROM material_contents") == 3)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'material.attached'") == 2)
            // The filing's department reads it, byte for byte; another organisation and another department do not learn it exists.
            let (read, bytes) = try await MaterialLibraryTests.send(server, .get, "/v1/materials/\(material)/content", bytes: [], as: .reviewer)
            #expect(read.status == 200 && MaterialLibraryTests.hex(bytes) == MaterialLibraryTests.hex(licence))
            #expect(try await server.call(.get, "/v1/materials/\(material)", as: .otherInvestor).status == 404)
            #expect(try await server.call(.get, "/v1/materials/\(material)", as: .ecologyReviewer).status == 404)
            #expect(try await server.call(.get, "/v1/materials/\(material)", as: .otherRegionReviewer).status == 404)
            #expect(try await server.count("SELECT count(*)::int FROM material_downloads WHERE user_id = \(server.userIDs[.reviewer]!)") == 1)
            // A version uploaded after it was attached is the investor's alone: the department sees what it was given.
            #expect(try await MaterialLibraryTests.send(server, .post, "/v1/materials/\(material)/versions", bytes: MaterialLibraryTests.pdf(size: 700, seed: 8),
                                                        as: .investor).0.status == 201)
            let seen = try await server.call(.get, "/v1/materials/\(material)", as: .reviewer)
            #expect((seen.json["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1], "\(seen.text)")
            #expect(try await MaterialLibraryTests.send(server, .get, "/v1/materials/\(material)/content?version=2", bytes: [], as: .reviewer).0.status == 404)
            #expect(try await MaterialLibraryTests.send(server, .post, "/v1/materials/\(material)/versions", bytes: MaterialLibraryTests.pdf(size: 700, seed: 9),
                                                        as: .otherInvestor).0.status == 404)

            // Detached, the requirement is missing again, and the chain says so.
            let detached = try await server.call(.delete, "/v1/projects/\(second)/items/project-filing/materials/business-licence", as: .investor)
            #expect(detached.status == 200, "\(detached.text)")
            let after = (detached.item("project-filing")["materials"] as? [[String: Any]])?.first { $0["requirement"] as? String == "business-licence" }
            #expect(after?["attached"] == nil)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'material.detached'") == 1)
        }
    }

    @Test func onlyTheApplicantsOwnMaterialsAndOnlyWhileTheApplicationIsOpen() async throws {
        try await TestServer.run { server in
            let mine = try #require(try await MaterialLibraryTests.upload(server, MaterialLibraryTests.pdf(size: 1000)).int("id"))
            let theirs = try #require(try await MaterialLibraryTests.upload(server, MaterialLibraryTests.pdf(size: 1000, seed: 4), as: .otherInvestor).int("id"))
            let code = try await server.createEnterpriseProject()
            let foreign = try await attach(server, code, "project-filing", "business-licence", material: theirs)
            #expect(foreign.status == 422 && foreign.string("field") == "material", "\(foreign.text)")
            #expect(try await attach(server, code, "project-filing", "passport", material: mine).string("field") == "requirement")
            #expect(try await attach(server, code, "no-such-item", "business-licence", material: mine).status == 404)
            #expect(try await attach(server, code, "project-filing", "business-licence", material: mine, as: .reviewer).status == 403)
            // The agent without an agreement may not; the investor may, until the department accepts.
            try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            #expect(try await attach(server, code, "project-filing", "business-licence", material: mine, as: .agent).status == 403)
            #expect(try await attach(server, code, "project-filing", "business-licence", material: mine).status == 200)
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer).status == 200)
            let attachedBefore = try await server.count("SELECT count(*)::int FROM item_materials WHERE material_id = \(mine)")
            let closed = try await attach(server, code, "project-filing", "filing-form", material: mine)
            #expect(closed.status == 409 && closed.string("state") == "accepted", "\(closed.text)")
            #expect(try await server.count("SELECT count(*)::int FROM item_materials WHERE material_id = \(mine)") == attachedBefore)
        }
    }
}

@Suite("Documents a decision issued enter the investor's library", .timeLimit(.minutes(5)))
struct IssuedDocumentTests {
    @Test func aFilingCertificateIssuedIsOfferedToTheNextItemThatRequiresIt() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let certificate = MaterialLibraryTests.pdf(size: 3000, seed: 11)
            func issue(as user: TestUser) async throws -> Reply {
                try await MaterialLibraryTests.send(server, .post, "/v1/projects/\(code)/items/project-filing/issued-document", bytes: certificate, as: user).0
            }
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            let early = try await issue(as: .reviewer)
            #expect(early.status == 409 && early.string("state") == "accepted", "\(early.text)")
            try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
            #expect(try await issue(as: .investor).status == 403)
            #expect(try await issue(as: .ecologyReviewer).status == 403)
            let issued = try await issue(as: .reviewer)
            #expect(issued.status == 201 && issued.string("kind") == "project-approval-document", "\(issued.text)")
            let id = try #require(issued.int("id"))
            // The investor holds it now, without uploading it, and the next item that requires its kind offers it.
            #expect(try await server.call(.get, "/v1/materials?kind=project-approval-document", as: .investor).list("materials").map { $0["id"] as? Int } == [id])
            let next = try await server.call(.get, "/v1/projects/\(code)/items/land-use-planning-permit/materials", as: .investor).list("materials")
            #expect(next.first { $0["requirement"] as? String == "project-approval" }?["offered"] as? [Int] == [id], "\(next)")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'material.issued'") == 1)
            // It is the department's: it names what issued it, the investor adds no version, and the next department sees
            // that it was issued, not uploaded.
            #expect((issued.json["issuedBy"] as? [String: Any])?["item"] as? String == "project-filing")
            #expect((issued.json["issuedBy"] as? [String: Any])?["project"] as? String == code)
            let forged = try await MaterialLibraryTests.send(server, .post, "/v1/materials/\(id)/versions", bytes: MaterialLibraryTests.pdf(size: 900), as: .investor).0
            #expect(forged.status == 409 && forged.string("type") == "/problems/issued-document", "\(forged.text)")
            try await server.act(code, "land-use-planning-permit", #"{"action": "submit"}"#, as: .investor)
            let attached = try await server.call(.put, "/v1/projects/\(code)/items/land-use-planning-permit/materials/project-approval", as: .investor,
                                                 json: #"{"material": \#(id)}"#)
            let carried = (attached.item("land-use-planning-permit")["materials"] as? [[String: Any]])?.first { $0["requirement"] as? String == "project-approval" }
            #expect((carried?["attached"] as? [String: Any])?["issued"] as? Bool == true, "\(attached.text)")
            let told = try await server.call(.get, "/v1/notifications", as: .investor).list("notifications")
            #expect(told.contains { $0["kind"] as? String == "material.issued" })
            // An item that issues nothing of a reusable kind has no document to put there.
            let nothing = try await MaterialLibraryTests.send(server, .post, "/v1/projects/\(code)/items/water-connection/issued-document",
                                                              bytes: certificate, as: .admin).0
            #expect(nothing.status == 409 && nothing.string("type") == "/problems/issues-nothing", "\(nothing.text)")
        }
    }

    @Test func aDocumentIssuedAfterADefaultApprovalIsTheFormalDocumentOwed() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            server.clock.advance(by: 86_400 * 2)  // Wednesday: the filing's one working day ended on Tuesday
            #expect(try await DeadlineSweeper(context: server.context).sweepAll().defaultApprovals == 1)
            let owed = try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")
            #expect(owed["state"] as? String == "default_approved")
            #expect((owed["formalDocument"] as? [String: Any])?["issuedOn"] == nil)

            let certificate = MaterialLibraryTests.pdf(size: 2_500, seed: 21)
            func issue(_ query: String) async throws -> Reply {
                try await MaterialLibraryTests.send(server, .post, "/v1/projects/\(code)/items/project-filing/issued-document\(query)",
                                                    bytes: certificate, as: .reviewer).0
            }
            let unnumbered = try await issue("")
            #expect(unnumbered.status == 422 && unnumbered.string("field") == "documentNumber", "\(unnumbered.text)")
            #expect(try await server.count("SELECT count(*)::int FROM materials WHERE kind = 'project-approval-document'") == 0)
            let number = "温发改备〔2026〕12号"
            let issued = try await issue("?documentNumber=\(number.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(issued.status == 201 && issued.string("kind") == "project-approval-document", "\(issued.text)")
            let document = try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")["formalDocument"] as? [String: Any]
            #expect(document?["documentNumber"] as? String == number)
            #expect(document?["issuedOn"] as? String == "2026-03-04")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind IN ('formal_document.issued', 'material.issued')") == 2)
            // Issued once: the next one is a document like any other, without a number.
            let again = try await issue("?documentNumber=X")
            #expect(again.status == 422 && again.string("field") == "documentNumber", "\(again.text)")
            #expect(try await issue("").status == 201)
        }
    }
}
