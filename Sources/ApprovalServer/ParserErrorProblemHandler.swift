import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Hummingbird answers a request NIO's parser rejects (a header over its 80 KiB limits, malformed HTTP) with a
/// bare 400 before any route or middleware runs; this per-connection handler notes the parser error on the way in
/// and rewrites that answer as problem+json on the way out (431 for an oversized header), so every error a client
/// can provoke has the contract's shape.
final class ParserErrorProblemHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State { case normal, failed(HTTPParserError), sendingProblem(ByteBuffer), done }
    private var state = State.normal

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .normal = state, let error = error as? HTTPParserError { state = .failed(error) }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch (state, unwrapOutboundIn(data)) {
        // Exactly Hummingbird's answer to a parser error (HTTPChannelHandler): empty, closing the connection.
        case (.failed(let error), .head(var head)) where head.status == .badRequest && head.headerFields[.contentLength] == "0"
            && head.headerFields[.connection] == "close":
            let (status, body) = Self.problem(for: error)
            head.status = status
            head.headerFields[.contentType] = "application/problem+json"
            head.headerFields[.contentLength] = String(body.readableBytes)
            state = .sendingProblem(body)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case (.sendingProblem(let body), .end):
            state = .done
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    private struct Problem: Encodable {
        let type: String, title: String, status: Int, detail: String
    }

    static func problem(for error: HTTPParserError) -> (HTTPResponse.Status, ByteBuffer) {
        let problem = error == .headerOverflow
            ? Problem(type: "/problems/header-too-large", title: "The request's header is too large", status: 431,
                      detail: "the request's header fields exceed the server's limit of 80 KiB (one field, or all together)")
            : Problem(type: "/problems/invalid-request", title: "The request is not valid", status: 400,
                      detail: "the request is not well-formed HTTP/1.1 (\(error))")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (HTTPResponse.Status(code: problem.status), ByteBuffer(bytes: (try? encoder.encode(problem)) ?? Data()))
    }
}
