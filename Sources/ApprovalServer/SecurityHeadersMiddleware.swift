import ApprovalStore
import HTTPTypes
import Hummingbird
import NIOCore

/// Headers every response carries: nothing from another origin runs or loads in our pages, no site frames them
/// (clickjacking), and browsers take each body for the type it is sent as, never a sniffed one.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: HTTPField.Name { HTTPField.Name("Content-Security-Policy")! }
    static var contentTypeOptions: HTTPField.Name { HTTPField.Name("X-Content-Type-Options")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // Anything else is a fault of ours: a plain 500 that says nothing of it, which still carries the headers.
            context.logger.error("internal error: \(LoggedError.describe(error))")
            var headers = HTTPFields()
            headers[.contentType] = "application/problem+json"
            response = Response(status: .internalServerError, headers: headers, body: .init(byteBuffer: ByteBuffer(string:
                #"{"status":500,"title":"Internal error","type":"/problems/internal"}"#)))
        }
        response.headers[Self.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'"
        response.headers[Self.contentTypeOptions] = "nosniff"
        return response
    }
}
