import ApprovalCore
import ApprovalStore
import Crypto
import Foundation
import Hummingbird
import Mustache
import NIOCore

/// What the server-rendered sites share — the leaders' dashboard (`/dashboard`) and the working pages
/// (`/m`): the templates, sign-in with an API token into a session cookie, and the responses.
///
/// Sign-in takes an API token once and keeps a session id in an HttpOnly, SameSite=Strict cookie scoped to the
/// site's path (Secure when the public URL is https) that lasts as long as the token. The sign-in form carries a
/// one-time value that must match a cookie set with the form, so another site cannot sign a browser in under its
/// own token (login CSRF). Templates escape every value ({{…}}); styles come from one stylesheet, as the
/// Content-Security-Policy allows nothing inline.
struct PageSite {
    let context: ServerContext
    let library: MustacheLibrary
    /// The site's path, e.g. `/dashboard`.
    let base: String
    /// Who may sign in, and what the others are told.
    let readers: Set<Role>
    let refusal: String

    static let cookie = "approvals_session"
    /// The session of the page being rendered, whose CSRF value its sign-out form carries.
    @TaskLocal static var session: String?
    static let signInCookie = "approvals_sign_in"

    /// The warnings as both sites name them.
    static let warningNames = ["none": "正常", "yellow": "黄色预警", "red": "红色预警"]

    /// The templates shipped in the target's resources, and the one stylesheet, read once for both sites.
    static func templates() throws -> (MustacheLibrary, String) { try shipped.get() }

    private static let shipped = Result { () throws -> (MustacheLibrary, String) in try loadTemplates() }

    private static func loadTemplates() throws -> (MustacheLibrary, String) {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw DashboardError(message: "the page templates are missing from the ApprovalServer resources")
        }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) where file.pathExtension == "mustache" {
            try library.register(String(contentsOf: file, encoding: .utf8), named: file.deletingPathExtension().lastPathComponent)
        }
        return (library, try resource("dashboard.css"))
    }

    /// A file shipped beside the templates (the stylesheet, the icon).
    static func resource(_ name: String) throws -> String {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw DashboardError(message: "the page templates are missing from the ApprovalServer resources")
        }
        return try String(contentsOf: folder.appending(path: name), encoding: .utf8)
    }

    var today: CivilDate { context.today }

    /// The sign-in and sign-out routes under `base`; `home` is where a signed-in user lands.
    func addSessionRoutes(to router: Router<BasicRequestContext>, home: String) {
        router.get("\(base)/sign-in") { _, _ in signInPage(status: .ok, error: nil) }
        router.post("\(base)/sign-in") { request, _ in try await signIn(request, home: home) }
        router.post("\(base)/sign-out") { request, _ in
            // Like every form, sign-out carries the session's CSRF value: another site cannot sign a user out.
            if let session = Self.cookieValue(Self.cookie, in: request) {
                guard try await Self.form(request)["csrf"] == Self.formToken(session: session) else {
                    return page("message", ["title": "表单已过期", "error": "表单已过期或来自其他网站，请返回页面后重新提交。"], user: nil, status: .forbidden)
                }
                try await context.database.transaction { try await DashboardSessionRepository.end(sessionID: session, on: $0, logger: context.database.logger) }
            }
            var response = Self.redirect("\(base)/sign-in")
            response.headers[.setCookie] = cookie(Self.cookie, "", path: base, maxAge: 0)
            return response
        }
    }

    /// The sign-in form with a fresh one-time value, also set as a cookie only this site's pages send back.
    private func signInPage(status: HTTPResponse.Status, error: String?) -> Response {
        let nonce = UserRepository.makeSecret()
        var values: [String: Any] = ["title": "登录", "nonce": nonce, "signInAction": "\(base)/sign-in", "who": refusal]
        if let error { values["error"] = error }
        var response = page("sign-in", values, user: nil, status: status)
        response.headers[.setCookie] = cookie(Self.signInCookie, nonce, path: "\(base)/sign-in", maxAge: 3600)
        return response
    }

    private func signIn(_ request: Request, home: String) async throws -> Response {
        let form = try await Self.form(request)
        let value = { (name: String) in form[name]?.trimmingCharacters(in: .whitespaces) ?? "" }
        // A form posted from another site carries neither this site's cookie (SameSite=Strict) nor its value.
        guard let nonce = Self.cookieValue(Self.signInCookie, in: request), !nonce.isEmpty, value("nonce") == nonce else {
            return signInPage(status: .forbidden, error: "登录表单已过期，请重新登录。")
        }
        let token = value("token")
        let logger = context.database.logger
        let user = token.isEmpty || token.count > 200 ? nil : try await context.database.read { try await UserRepository.authenticate(token: token, on: $0, logger: logger) }
        guard let user else { return signInPage(status: .unauthorized, error: "令牌无效、已过期或已吊销。") }
        guard readers.contains(user.role) else { return signInPage(status: .forbidden, error: "本页面供\(refusal)使用。") }
        let session = try await context.database.transaction { try await DashboardSessionRepository.start(token: token, on: $0, logger: logger) }
        var response = Self.redirect(home)
        response.headers[values: .setCookie] = [cookie(Self.cookie, session, path: base, maxAge: Int(DashboardSessionRepository.lifetime)),
                                                cookie(Self.signInCookie, "", path: "\(base)/sign-in", maxAge: 0)]
        return response
    }

    /// A cookie only this site's pages send (SameSite=Strict), never to scripts (HttpOnly), and over https only
    /// when users reach the server over https.
    private func cookie(_ name: String, _ value: String, path: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=\(path); HttpOnly; SameSite=Strict; Max-Age=\(maxAge)\(context.settings.secureCookies ? "; Secure" : "")"
    }

    /// Renders for the session's user, or sends the browser to sign in. An `APIError` becomes a page saying it.
    func signedIn(_ request: Request, _ render: (User, _ session: String) async throws -> Response) async throws -> Response {
        let logger = context.database.logger
        guard let session = Self.cookieValue(Self.cookie, in: request),
              let user = try await context.database.read({ try await DashboardSessionRepository.user(sessionID: session, on: $0, logger: logger) }),
              readers.contains(user.role) else {
            return Self.redirect("\(base)/sign-in")
        }
        return try await Self.$session.withValue(session) {
            do {
                return try await render(user, session)
            } catch let error as APIError {
                return page("message", ["title": error.title, "error": error.detail], user: user, status: .init(code: error.status))
            }
        }
    }

    /// The value a form of this session carries against cross-site request forgery: derived from the session id,
    /// which only this browser's HttpOnly cookie holds, so another site can neither read nor compute it.
    static func formToken(session: String) -> String {
        SHA256.hash(data: Data("approvals-form:\(session)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Requests

    /// A query parameter, nil when absent or empty (an empty filter field means no filter).
    static func parameter(_ request: Request, _ name: String) -> String? {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else { return nil }
        return String(value)
    }

    static func cookieValue(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    static let maximumFormBytes = 16 * 1024

    /// An `application/x-www-form-urlencoded` body; the first of a repeated name counts, except that `all`
    /// names collect every value (check boxes).
    static func form(_ request: Request) async throws -> [String: String] {
        try await formValues(request).first
    }

    static func formValues(_ request: Request) async throws -> (first: [String: String], all: [String: [String]]) {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumFormBytes)
        } catch {
            throw APIError(status: 413, type: "/problems/too-large", title: "表单过大", detail: "表单内容不能超过 \(maximumFormBytes / 1024) KB")
        }
        var first: [String: String] = [:]
        var all: [String: [String]] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "\u{FFFD}" }
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if first[name] == nil { first[name] = value }
            all[name, default: []].append(value)
        }
        return (first, all)
    }

    // MARK: Responses

    func page(_ template: String, _ values: [String: Any], user: User?, status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["asOf"] = values["asOf"] ?? today.description
        values["base"] = base
        // Read from a standby that was behind: say so, as the API's Data-Staleness does.
        if let seconds = StalenessRecord.current?.seconds, seconds > 0 { values["staleSeconds"] = seconds }
        values[base == "/dashboard" ? "dashboard" : "work"] = true
        if let user {
            values["user"] = ["name": user.name, "region": user.region, "csrf": Self.session.map(Self.formToken) as Any,
                              "queue": [.reviewer, .coordinator, .admin].contains(user.role)]
        }
        let html = library.render(Self.withoutNils(values), withTemplate: template) ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The values with every absent optional made `false`, at any depth, so a template's `{{#name}}` section is
    /// skipped for it: Mustache would print "nil", and a name left out would be looked up in the enclosing values
    /// (an item without days left would show the project's).
    static func withoutNils(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return false }
            return withoutNils(wrapped)
        }
        if let dictionary = value as? [String: Any] { return dictionary.mapValues(withoutNils) }
        if let array = value as? [Any] { return array.map(withoutNils) }
        return value
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
