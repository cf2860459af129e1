import ApprovalStore
import Foundation

/// How this deployment runs, beyond the database and the definitions: the settings of README's "Deploying".
public struct ServerSettings: Sendable {
    /// Development mode: the virtual clock, http webhooks and the demo's public tokens are allowed.
    public var development: Bool
    /// The address users reach the server at (`APPROVALS_PUBLIC_URL`). When it is https, cookies are `Secure`.
    public var publicURL: URL?
    /// When set (`APPROVALS_METRICS_TOKEN`), `/metrics` answers only `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// How often the gauges `/metrics` shows are read from the database at most, however often it is scraped.
    public var gaugeRefresh: Duration
    /// A connection that sends nothing for this long (a request's headers included) is closed.
    public var idleTimeout: Duration
    /// How long a stored idempotent answer is kept, and a notification (with its webhook deliveries) once sent.
    public var retention: Retention
    /// Working days between calling a joint meeting and holding it (`APPROVALS_MEETING_NOTICE_DAYS`).
    public var meetingNotice: Int
    /// Where uploaded materials go and how large they may be.
    public var materials: MaterialSettings

    public struct MaterialSettings: Sendable {
        /// New contents go here; `directory`, when set, also serves contents stored there earlier.
        public var directory: DirectoryContentStore?
        public var maximumFileBytes: Int
        public var organisationQuotaBytes: Int
        /// Uploads streaming at once, in all (well below the database pool each holds a connection of) and per
        /// organisation, and how long a whole upload may take.
        public var concurrentUploads: Int
        public var concurrentUploadsPerOrganisation: Int
        public var uploadTime: Duration

        public init(directory: DirectoryContentStore? = nil, maximumFileBytes: Int = 50 << 20, organisationQuotaBytes: Int = 2 << 30,
                    concurrentUploads: Int = 8, concurrentUploadsPerOrganisation: Int = 4, uploadTime: Duration = .seconds(600)) {
            self.directory = directory
            self.maximumFileBytes = maximumFileBytes
            self.organisationQuotaBytes = organisationQuotaBytes
            self.concurrentUploads = concurrentUploads
            self.concurrentUploadsPerOrganisation = concurrentUploadsPerOrganisation
            self.uploadTime = uploadTime
        }

        /// Where new uploads are stored.
        var uploadStore: any MaterialContentStore { directory ?? DatabaseContentStore() }

        /// The store holding a content recorded as `storedIn`.
        func store(for storedIn: String) -> (any MaterialContentStore)? {
            storedIn == "database" ? DatabaseContentStore() : directory
        }
    }

    public struct Retention: Sendable {
        public var idempotencyKeys: Duration
        public var notifications: Duration

        public init(idempotencyKeys: Duration = .seconds(7 * 86_400), notifications: Duration = .seconds(365 * 86_400)) {
            self.idempotencyKeys = idempotencyKeys
            self.notifications = notifications
        }
    }

    public init(development: Bool = false, publicURL: URL? = nil, metricsToken: String? = nil, gaugeRefresh: Duration = .seconds(15),
                idleTimeout: Duration = .seconds(30), retention: Retention = Retention(), meetingNotice: Int = 1,
                materials: MaterialSettings = MaterialSettings()) {
        self.materials = materials
        self.meetingNotice = meetingNotice
        self.development = development
        self.publicURL = publicURL
        self.metricsToken = metricsToken
        self.gaugeRefresh = gaugeRefresh
        self.idleTimeout = idleTimeout
        self.retention = retention
    }

    /// Cookies travel only over https when users reach the server over https.
    var secureCookies: Bool { publicURL?.scheme?.lowercased() == "https" }
}
