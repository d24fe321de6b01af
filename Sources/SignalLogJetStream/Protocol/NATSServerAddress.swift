/// One server to connect to: `nats://[user:password@|token@]host:port`, or `host:port`.
public struct NATSServerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Credentials given in the URL, if any (they override ``NATSOptions/auth``).
    public var auth: NATSAuth

    public init(host: String, port: Int = 4222, auth: NATSAuth = .none) {
        self.host = host
        self.port = port
        self.auth = auth
    }

    /// Parses `nats://host:port` (scheme optional, port 4222 by default);
    /// `user:pass@` or `token@` before the host set ``auth``. Nil when it
    /// cannot be read.
    public init?(_ text: String) {
        var rest = Substring(text)
        if let scheme = rest.range(of: "://") {
            guard rest[..<scheme.lowerBound] == "nats" else { return nil }
            rest = rest[scheme.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        var auth = NATSAuth.none
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                auth = .user(String(credentials[..<colon]), password: String(credentials[credentials.index(after: colon)...]))
            } else {
                auth = .token(String(credentials))
            }
        }
        var host = rest, port = 4222
        if let colon = rest.lastIndex(of: ":") {
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(value) else { return nil }
            port = value
            host = rest[..<colon]
        }
        guard !host.isEmpty, !host.contains("/") else { return nil }
        self.init(host: String(host), port: port, auth: auth)
    }

    /// `host:port`, without credentials (for messages and logs).
    public var description: String { "\(host):\(port)" }
}
