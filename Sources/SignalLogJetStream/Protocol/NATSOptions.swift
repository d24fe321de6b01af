/// How a ``NATSClient`` connects and reconnects.
public struct NATSOptions: Sendable {
    /// The servers, tried in order; after a lost connection the client
    /// reconnects to whichever of them answers first in turn.
    public var servers: [NATSServerAddress]
    /// Credentials for servers whose address carries none.
    public var auth: NATSAuth = .none
    /// The name the client gives in `CONNECT` (shown by the server's monitoring).
    public var name: String = "signallog"
    /// How long a request waits for its reply by default.
    public var requestTimeout: Duration = .seconds(5)
    /// How long a TCP connect may take before the next server is tried.
    public var connectTimeout: Duration = .seconds(2)
    /// The first pause between reconnect rounds; doubled each round up to ``maxReconnectWait``.
    public var reconnectWait: Duration = .milliseconds(20)
    public var maxReconnectWait: Duration = .seconds(1)
    /// Whether a lost connection is re-established (subscriptions are
    /// re-made on the new connection). Requests in flight fail either way.
    public var reconnects: Bool = true

    public init(servers: [NATSServerAddress]) {
        self.servers = servers
    }
}
