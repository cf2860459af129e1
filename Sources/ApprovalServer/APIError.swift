import ApprovalCore
import Foundation

/// An error a caller can act on, answered as `application/problem+json` (RFC 9457). `type` is stable, so
/// integrations can branch on it; `field` names the offending input and `state` the state that refused.
public struct APIError: Error, Sendable, Hashable {
    public var status: Int
    public var type: String
    public var title: String
    public var detail: String
    public var field: String?
    public var state: String?
    public var errors: [FieldProblem] = []
    /// Sent with 412 so the caller can re-read and retry.
    public var etag: String?
    /// Sent with 429 and 503: seconds until a retry may succeed.
    public var retryAfter: Int?

    /// One field at fault, as the domain names it.
    public typealias FieldProblem = ApprovalCore.FieldProblem

    public static func badRequest(_ detail: String, field: String? = nil) -> APIError {
        APIError(status: 400, type: "/problems/invalid-request", title: "The request is not valid", detail: detail, field: field)
    }

    public static func invalid(_ problems: [FieldProblem]) -> APIError {
        APIError(status: 422, type: "/problems/invalid-fields", title: "Some fields are not valid",
                 detail: problems.map { "\($0.field): \($0.detail)" }.joined(separator: "; "),
                 field: problems.first?.field, errors: problems)
    }

    public static func invalid(field: String, _ detail: String) -> APIError { invalid([FieldProblem(field: field, detail: detail)]) }

    public static let unauthenticated = APIError(status: 401, type: "/problems/unauthenticated", title: "Authentication required",
                                                 detail: "send Authorization: Bearer <token>; the token was missing, unknown or revoked",
                                                 field: "Authorization")

    public static func forbidden(_ detail: String) -> APIError {
        APIError(status: 403, type: "/problems/forbidden", title: "Not allowed for this user", detail: detail)
    }

    public static func notFound(_ what: String, field: String? = nil) -> APIError {
        APIError(status: 404, type: "/problems/not-found", title: "Not found", detail: "\(what) does not exist or is not visible to you", field: field)
    }

    public static func conflict(_ detail: String, state: String? = nil, type: String = "/problems/conflict") -> APIError {
        APIError(status: 409, type: type, title: "Conflicts with the current state", detail: detail, state: state)
    }

    /// Asked again sooner than allowed.
    public static func tooSoon(_ detail: String, retryAfter seconds: Int) -> APIError {
        APIError(status: 429, type: "/problems/too-many-requests", title: "Too many requests", detail: detail, retryAfter: seconds)
    }

    /// The database is out of reach or taking no writes (a restart, a failover): the same request, with its
    /// Idempotency-Key, may be sent again.
    public static let databaseUnavailable = APIError(status: 503, type: "/problems/database-unavailable", title: "Database unavailable",
                                                     detail: "the database is restarting or changing over; send the same request again in a few seconds with the same Idempotency-Key (a write sent without one may have been done)",
                                                     retryAfter: 2)

    public static func stale(currentETag: String) -> APIError {
        APIError(status: 412, type: "/problems/stale", title: "The project changed since you read it",
                 detail: "If-Match does not match the project's current ETag \(currentETag); read the project again and retry",
                 field: "If-Match", etag: currentETag)
    }

    /// Minutes or invitations of a meeting the domain refused: the fields at fault, or the item that cannot move.
    public static func refused(_ refusal: MeetingMinutes.Refusal, meeting: Int64? = nil) -> APIError {
        switch refusal {
        case let .invalid(problems): invalid(problems)
        case let .refused(error): refused(error)
        case let .closed(on): conflict("meeting \(meeting.map(String.init) ?? "") was already closed on \(on)")
        }
    }

    /// An agent the domain would not give the project.
    public static func refused(_ refusal: ProjectAgent.Refusal) -> APIError {
        switch refusal {
        case let .alreadyAssigned(current):
            conflict("the project already has agent \(current); one project has one agent at a time, so hand it over with POST …/agent/handover (reason and handover note)",
                     type: "/problems/agent-already-assigned")
        case .noAgent:
            conflict("the project has no agent to hand over from; assign one with PUT …/agent", type: "/problems/no-agent")
        case let .unsuitable(problem):
            invalid([problem])
        }
    }

    /// An agency agreement's change the domain refused.
    public static func refused(_ refusal: AgreementRefusal) -> APIError {
        switch refusal {
        case let .alreadyActive(agreement):
            conflict("agreement \(agreement) is already active; renew or terminate it", type: "/problems/agreement-active")
        case .noAgreement:
            conflict("the project has no active agency agreement; the investor authorises one first (action authorise)", type: "/problems/no-agreement")
        case let .itemsOpen(open):
            conflict("the agency is completed (办结) when every applicable item has ended; still open: \(open.joined(separator: ", "))",
                     type: "/problems/items-open")
        case let .invalid(problems):
            invalid(problems)
        }
    }

    /// A refused item action: a conflict for an illegal transition, a 422 for an incomplete request.
    public static func refused(_ error: ItemTransitionError) -> APIError {
        switch error {
        case let .illegalTransition(_, _, state, _):
            conflict(error.description, state: state.rawValue, type: "/problems/illegal-transition")
        case .invalidRequest:
            APIError(status: 422, type: "/problems/invalid-action", title: "The action cannot be done as requested", detail: error.description)
        case let .materialsMissing(_, _, missing, _):
            // One field per requirement, as `materials.<requirement>`, so a client can point at each.
            APIError(status: 422, type: "/problems/materials-missing", title: "The application lacks materials", detail: error.description,
                     errors: missing.map { FieldProblem(field: "materials.\($0.requirement.id)", detail: $0.description) })
        }
    }
}
