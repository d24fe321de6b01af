import NIOCore
import NIOPosix
import Synchronization

/// A NATS client: publish, subscribe and request/reply over the text
/// protocol, reconnecting to any server of ``NATSOptions/servers`` after a
/// lost connection.
///
/// ```swift
/// let client = try await NATSClient.connect(NATSOptions(servers: [NATSServerAddress("nats://127.0.0.1:4222")!]))
/// let reply = try await client.request("service.echo", payload: Array("hi".utf8))
/// await client.close()
/// ```
///
/// Messages are sent in call order. While the client is reconnecting,
/// publishes and requests throw ``NATSError/notConnected(servers:)`` at
/// once: the caller decides whether to wait and retry.
public final class NATSClient: Sendable {
    public let options: NATSOptions

    private struct State {
        var connection: NATSConnection?
        var generation: UInt64 = 0
        var closed = false
        var nextSID: UInt64 = 1
        var subscriptions: [UInt64: NATSSubscription] = [:]
        /// The wildcard subscription all request replies arrive on.
        var inboxSID: UInt64?
        var nextToken: UInt64 = 0
        var requests: [String: NATSPendingReply] = [:]
        var pongs: [NATSPendingReply] = []
        /// Wakes ``waitUntilConnected()`` callers.
        var connectWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    /// `_INBOX.<random>.`: replies to this client's requests.
    private let inboxPrefix: String

    private init(options: NATSOptions) {
        self.options = options
        var random = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        inboxPrefix = "_INBOX." + String((0..<22).map { _ in letters[Int(random.next() % UInt64(letters.count))] }) + "."
    }

    /// Connects to the first server of `options.servers` that accepts, or
    /// throws ``NATSError/connectionFailed(servers:reason:)`` naming them all.
    public static func connect(_ options: NATSOptions) async throws(NATSError) -> NATSClient {
        guard !options.servers.isEmpty else { throw .connectionFailed(servers: [], reason: "no server given") }
        let client = NATSClient(options: options)
        var lastError = NATSError.connectionFailed(servers: [], reason: "no attempt")
        for address in options.servers {
            do {
                try await client.establish(address)
                return client
            } catch {
                lastError = error
            }
        }
        let reason: String
        switch lastError {
        case .connectionFailed(_, let text): reason = text
        default: reason = lastError.description
        }
        throw .connectionFailed(servers: options.servers.map(\.description), reason: reason)
    }

    /// The server connected to now, or nil while reconnecting.
    public var connectedServer: NATSServerAddress? { state.withLock { $0.connection?.address } }

    /// What the connected server said in `INFO`, or nil while reconnecting.
    public var serverInfo: NATSServerInfo? { state.withLock { $0.connection?.info } }

    private var serverNames: [String] { options.servers.map(\.description) }

    /// Opens a connection to `address` and makes it current: re-subscribes
    /// every subscription on it.
    private func establish(_ address: NATSServerAddress) async throws(NATSError) {
        let generation = state.withLock { state in
            state.generation += 1
            return state.generation
        }
        let connection = try await NATSConnection.open(
            address, auth: options.auth, name: options.name, connectTimeout: options.connectTimeout,
            onFrame: { [weak self] frame in self?.received(frame, generation: generation) },
            onClose: { [weak self] reason in self?.lost(generation: generation, reason: reason) })
        let (accepted, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard !state.closed, state.generation == generation else { return (false, []) }
            state.connection = connection
            var bytes: [UInt8] = []
            for sid in state.subscriptions.keys.sorted() {
                let subscription = state.subscriptions[sid]!
                bytes += NATSClientCommands.subscribe(subject: subscription.subject, queue: subscription.queue, sid: sid)
            }
            if let sid = state.inboxSID {
                bytes += NATSClientCommands.subscribe(subject: inboxPrefix + "*", queue: nil, sid: sid)
            }
            if !bytes.isEmpty { connection.send(bytes) }
            defer { state.connectWaiters = [] }
            return (true, state.connectWaiters)
        }
        if !accepted {
            connection.close()
            throw .closed
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The connection of `generation` ended: fails what waited on it and,
    /// unless closed, reconnects in the background.
    private func lost(generation: UInt64, reason: String) {
        let (pending, server, reconnect) = state.withLock { state -> ([NATSPendingReply], String, Bool) in
            guard state.generation == generation, let connection = state.connection else { return ([], "", false) }
            state.connection = nil
            let pending = Array(state.requests.values) + state.pongs
            state.requests = [:]
            state.pongs = []
            return (pending, connection.address.description, !state.closed && options.reconnects)
        }
        for reply in pending { reply.settle(.failure(.disconnected(server: server, subject: reply.subject))) }
        if reconnect {
            Task { await self.reconnectLoop() }
        } else if !server.isEmpty {
            finishAll()
        }
    }

    /// Tries the servers in turn, pausing longer after each failed round,
    /// until one accepts or the client is closed.
    private func reconnectLoop() async {
        var wait = options.reconnectWait
        var round = 0
        while !state.withLock({ $0.closed }) {
            for offset in 0..<options.servers.count {
                // Start after the server that was lost, so a dead one is not tried first.
                let address = options.servers[(round + offset + 1) % options.servers.count]
                do {
                    try await establish(address)
                    return
                } catch {
                    if state.withLock({ $0.closed }) { return }
                }
            }
            round += 1
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, options.maxReconnectWait)
        }
    }

    /// Returns once a connection is up (at once if it is), or when closed.
    public func waitUntilConnected() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.connection != nil || state.closed { return true }
                state.connectWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func received(_ frame: NATSServerFrame, generation: UInt64) {
        switch frame {
        case .message(let message):
            let target = state.withLock { state -> (NATSSubscription?, NATSPendingReply?) in
                if message.sid == state.inboxSID {
                    let token = String(message.subject.dropFirst(inboxPrefix.count))
                    return (nil, state.requests.removeValue(forKey: token))
                }
                return (state.subscriptions[message.sid], nil)
            }
            if let subscription = target.0 { subscription.deliver(message) }
            if let reply = target.1 {
                if message.status == 503 {
                    reply.settle(.failure(.noResponders(server: serverName, subject: reply.subject)))
                } else {
                    reply.settle(.success(message))
                }
            }
        case .pong:
            let waiter = state.withLock { state in state.pongs.isEmpty ? nil : state.pongs.removeFirst() }
            waiter?.settle(.success(NATSMessage(subject: "", payload: [])))
        case .error(let text):
            // The server closes the connection after most errors; a request
            // that caused one fails with it rather than as a lost connection.
            let pending = state.withLock { state -> [NATSPendingReply] in
                defer { state.requests = [:] }
                return Array(state.requests.values)
            }
            for reply in pending { reply.settle(.failure(.serverError(server: serverName, text: text))) }
        case .info, .ok, .ping:
            break
        }
    }

    private var serverName: String { state.withLock { $0.connection?.address.description ?? "(none)" } }

    private func current() throws(NATSError) -> NATSConnection {
        let (connection, closed) = state.withLock { ($0.connection, $0.closed) }
        if closed { throw .closed }
        guard let connection else { throw .notConnected(servers: serverNames) }
        return connection
    }

    private func checkSize(_ connection: NATSConnection, subject: String, headers: NATSHeaders?, payload: [UInt8]) throws(NATSError) {
        let size = payload.count + (headers.map { $0.isEmpty ? 0 : $0.encodedCount } ?? 0)
        if size > connection.info.maxPayload {
            throw .payloadTooLarge(server: connection.address.description, subject: subject, size: size, limit: connection.info.maxPayload)
        }
    }

    // MARK: Publishing

    /// Sends a message (`PUB`, or `HPUB` when `headers` has any). Returns
    /// once it is queued for sending; ``flush()`` waits until the server has it.
    public func publish(_ subject: String, payload: [UInt8] = [], headers: NATSHeaders? = nil, replyTo: String? = nil) throws(NATSError) {
        let connection = try current()
        try checkSize(connection, subject: subject, headers: headers, payload: payload)
        var bytes: [UInt8] = []
        NATSClientCommands.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload, into: &bytes)
        connection.send(bytes)
    }

    /// Sends a request and returns its pending reply at once, so that a
    /// caller can keep several requests in flight; they are sent in call
    /// order. The reply arrives on this client's inbox.
    public func startRequest(_ subject: String, payload: [UInt8] = [], headers: NATSHeaders? = nil,
                             timeout: Duration? = nil) throws(NATSError) -> NATSPendingReply {
        let connection = try current()
        try checkSize(connection, subject: subject, headers: headers, payload: payload)
        let (reply, subscribe) = try state.withLock { (state) throws(NATSError) -> (NATSPendingReply, [UInt8]?) in
            guard state.connection === connection else { throw .notConnected(servers: serverNames) }
            var subscribe: [UInt8]?
            if state.inboxSID == nil {
                let sid = state.nextSID
                state.nextSID += 1
                state.inboxSID = sid
                subscribe = NATSClientCommands.subscribe(subject: inboxPrefix + "*", queue: nil, sid: sid)
            }
            state.nextToken += 1
            let token = String(state.nextToken, radix: 36)
            let reply = NATSPendingReply(subject: subject, token: token)
            state.requests[token] = reply
            return (reply, subscribe)
        }
        var bytes = subscribe ?? []
        NATSClientCommands.publish(subject: subject, replyTo: inboxPrefix + reply.token, headers: headers, payload: payload, into: &bytes)
        connection.send(bytes)
        let wait = timeout ?? options.requestTimeout
        let server = connection.address.description
        let timer = connection.channel.eventLoop.scheduleTask(in: .nanoseconds(wait.nanoseconds)) { [weak self] in
            guard let self else { return }
            let pending = state.withLock { $0.requests.removeValue(forKey: reply.token) }
            pending?.settle(.failure(.timeout(server: server, subject: subject, seconds: wait.seconds)))
        }
        reply.setTimer(timer)
        return reply
    }

    /// Sends a request and waits for its reply.
    public func request(_ subject: String, payload: [UInt8] = [], headers: NATSHeaders? = nil,
                        timeout: Duration? = nil) async throws(NATSError) -> NATSMessage {
        try await startRequest(subject, payload: payload, headers: headers, timeout: timeout).value()
    }

    /// Waits until the server has processed everything sent before it (a
    /// `PING` answered by `PONG`).
    public func flush(timeout: Duration? = nil) async throws(NATSError) {
        let connection = try current()
        let reply = NATSPendingReply(subject: "PING", token: "")
        try state.withLock { (state) throws(NATSError) in
            guard state.connection === connection else { throw .notConnected(servers: serverNames) }
            state.pongs.append(reply)
            connection.send(NATSClientCommands.ping)
        }
        let wait = timeout ?? options.requestTimeout
        let server = connection.address.description
        reply.setTimer(connection.channel.eventLoop.scheduleTask(in: .nanoseconds(wait.nanoseconds)) {
            reply.settle(.failure(.timeout(server: server, subject: "PING", seconds: wait.seconds)))
        })
        _ = try await reply.value()
    }

    // MARK: Subscribing

    /// Subscribes to `subject` (wildcards `*` and `>` allowed), optionally
    /// in a queue group. Messages go to the returned subscription.
    public func subscribe(_ subject: String, queue: String? = nil) throws(NATSError) -> NATSSubscription {
        let (subscription, connection) = try state.withLock { (state) throws(NATSError) -> (NATSSubscription, NATSConnection?) in
            if state.closed { throw .closed }
            let sid = state.nextSID
            state.nextSID += 1
            let subscription = NATSSubscription(sid: sid, subject: subject, queue: queue)
            state.subscriptions[sid] = subscription
            state.connection?.send(NATSClientCommands.subscribe(subject: subject, queue: queue, sid: sid))
            return (subscription, state.connection)
        }
        _ = connection
        return subscription
    }

    /// Ends a subscription (`UNSUB`); its reader gets what was queued, then nil.
    public func unsubscribe(_ subscription: NATSSubscription) {
        let removed = state.withLock { state -> Bool in
            guard state.subscriptions.removeValue(forKey: subscription.sid) != nil else { return false }
            state.connection?.send(NATSClientCommands.unsubscribe(sid: subscription.sid))
            return true
        }
        if removed { subscription.finish() }
    }

    /// Closes the connection, fails pending requests with
    /// ``NATSError/closed`` and ends every subscription.
    public func close() async {
        let (connection, pending, waiters) = state.withLock { state -> (NATSConnection?, [NATSPendingReply], [CheckedContinuation<Void, Never>]) in
            state.closed = true
            defer {
                state.connection = nil
                state.requests = [:]
                state.pongs = []
                state.connectWaiters = []
            }
            return (state.connection, Array(state.requests.values) + state.pongs, state.connectWaiters)
        }
        for reply in pending { reply.settle(.failure(.closed)) }
        for waiter in waiters { waiter.resume() }
        finishAll()
        if let connection {
            try? await connection.channel.close()
        }
    }

    private func finishAll() {
        let subscriptions = state.withLock { state -> [NATSSubscription] in
            defer { state.subscriptions = [:] }
            return Array(state.subscriptions.values)
        }
        for subscription in subscriptions { subscription.finish() }
    }

    deinit {
        state.withLock { $0.connection?.close() }
    }
}
