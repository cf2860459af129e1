import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Tells a client that asks (`Expect: 100-continue`) to send its body at once. curl and other HTTP libraries ask
/// before uploading a file and, hearing nothing, wait a second per upload; Hummingbird does not answer on its own.
/// The go-ahead is sent only while no earlier response on the connection is unfinished (a client that pipelines
/// must not find it inside another answer); otherwise it is sent as soon as the earlier ones have ended.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The requests read whose responses have not ended, oldest first: whether each still waits for its go-ahead.
    private var unanswered: [Bool] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case var .head(head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let asks = head.headerFields[.expect]?.lowercased() == "100-continue"
        if asks {
            head.headerFields[.expect] = nil
            if unanswered.isEmpty { context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil) }
        }
        unanswered.append(asks && !unanswered.isEmpty)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        context.write(data, promise: promise)
        guard case .end = part, !unanswered.isEmpty else { return }
        unanswered.removeFirst()
        if unanswered.first == true {
            unanswered[0] = false
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
    }
}
