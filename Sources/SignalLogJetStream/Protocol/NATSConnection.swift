import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to one server, past its handshake (`INFO`, then
/// `CONNECT` and a `PING` answered by `PONG`). Frames after the handshake go
/// to `onFrame`; the end of the connection goes to `onClose` once.
final class NATSConnection: Sendable {
    let address: NATSServerAddress
    let info: NATSServerInfo
    let channel: any Channel
    /// Bytes queued for sending, and whether a write of them is scheduled.
    private let outbox = Mutex<(bytes: [UInt8], scheduled: Bool)>(([], false))

    private init(address: NATSServerAddress, info: NATSServerInfo, channel: any Channel) {
        self.address = address
        self.info = info
        self.channel = channel
    }

    /// Connects and completes the handshake, or throws naming the server.
    static func open(
        _ address: NATSServerAddress, auth: NATSAuth, name: String, connectTimeout: Duration,
        onFrame: @escaping @Sendable (NATSServerFrame) -> Void, onClose: @escaping @Sendable (String) -> Void
    ) async throws(NATSError) -> NATSConnection {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let ready = loop.makePromise(of: NATSServerInfo.self)
        let effectiveAuth = address.auth == .none ? auth : address.auth
        let connect = NATSClientCommands.connect(auth: effectiveAuth, name: name)
        let server = address.description
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(connectTimeout.nanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NATSChannelHandler(server: server, connect: connect, ready: ready, onFrame: onFrame, onClose: onClose))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            ready.fail(NATSError.connectionFailed(servers: [server], reason: "\(error)"))
            throw .connectionFailed(servers: [server], reason: "\(error)")
        }
        // A peer that accepts the connection but never completes the
        // handshake (not a NATS server) fails like one that refuses it.
        let handshake = channel.eventLoop.scheduleTask(in: .nanoseconds(connectTimeout.nanoseconds)) {
            ready.fail(NATSError.connectionFailed(servers: [server], reason: "no NATS handshake within \(connectTimeout.seconds)s"))
            channel.close(promise: nil)
        }
        defer { handshake.cancel() }
        do {
            let info = try await ready.futureResult.get()
            return NATSConnection(address: address, info: info, channel: channel)
        } catch let error as NATSError {
            channel.close(promise: nil)
            throw error
        } catch {
            channel.close(promise: nil)
            throw .connectionFailed(servers: [server], reason: "\(error)")
        }
    }

    /// Queues `bytes` for sending, in call order. Bytes queued in a burst
    /// are written to the socket together: the first queuing schedules one
    /// write-and-flush on the event loop, which takes everything queued by
    /// the time it runs (one task and one syscall for many messages, not one each).
    func send(_ bytes: [UInt8]) {
        let schedule = outbox.withLock { box -> Bool in
            box.bytes.append(contentsOf: bytes)
            if box.scheduled { return false }
            box.scheduled = true
            return true
        }
        guard schedule else { return }
        let channel = self.channel, connection = self
        channel.eventLoop.execute {
            let pending = connection.outbox.withLock { box -> [UInt8] in
                box.scheduled = false
                let pending = box.bytes
                box.bytes = []
                box.bytes.reserveCapacity(min(pending.count, 1 << 20))
                return pending
            }
            channel.writeAndFlush(channel.allocator.buffer(bytes: pending), promise: nil)
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Parses inbound bytes, runs the handshake, answers the server's `PING`s
/// and hands every other frame on.
final class NATSChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var parser = NATSFrameParser()
    private let server: String
    private let connect: [UInt8]
    private let ready: EventLoopPromise<NATSServerInfo>
    private let onFrame: @Sendable (NATSServerFrame) -> Void
    private let onClose: @Sendable (String) -> Void
    private var info: NATSServerInfo?
    private var established = false
    private var closeReason = "closed by the server"

    init(server: String, connect: [UInt8], ready: EventLoopPromise<NATSServerInfo>,
         onFrame: @escaping @Sendable (NATSServerFrame) -> Void, onClose: @escaping @Sendable (String) -> Void) {
        self.server = server
        self.connect = connect
        self.ready = ready
        self.onFrame = onFrame
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        parser.append(buffer.readableBytesView)
        do {
            while let frame = try parser.next() {
                handle(frame, context: context)
            }
        } catch {
            closeReason = error.description
            if !established { ready.fail(NATSError.protocolViolation(server: server, reason: error.reason)) }
            context.close(promise: nil)
        }
    }

    private func handle(_ frame: NATSServerFrame, context: ChannelHandlerContext) {
        if case .ping = frame {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: NATSClientCommands.pong)), promise: nil)
            return
        }
        guard established else {
            switch frame {
            case .info(let received):
                info = received
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: connect + NATSClientCommands.ping)), promise: nil)
            case .pong:
                established = true
                ready.succeed(info ?? NATSServerInfo())
            case .error(let text):
                closeReason = "-ERR '\(text)'"
                ready.fail(NATSError.serverError(server: server, text: text))
                context.close(promise: nil)
            default:
                break
            }
            return
        }
        if case .error(let text) = frame { closeReason = "-ERR '\(text)'" }
        onFrame(frame)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeReason = "\(error)"
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if established {
            onClose(closeReason)
        } else {
            ready.fail(NATSError.connectionFailed(servers: [server], reason: closeReason))
        }
        context.fireChannelInactive()
    }
}
