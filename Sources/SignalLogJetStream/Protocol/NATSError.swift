/// Failures of the NATS client, each naming the server and, where one is
/// involved, the subject.
public enum NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// None of the servers accepted a connection (the last reason is given).
    case connectionFailed(servers: [String], reason: String)
    /// The server answered `-ERR` (authorization violation, bad subject, ...).
    case serverError(server: String, text: String)
    /// No connection right now (the client is reconnecting).
    case notConnected(servers: [String])
    /// The connection was lost while a request to `subject` waited for its reply.
    case disconnected(server: String, subject: String)
    /// No reply to a request to `subject` within the timeout.
    case timeout(server: String, subject: String, seconds: Double)
    /// Nobody subscribes to `subject` (the server's 503 status).
    case noResponders(server: String, subject: String)
    /// A message larger than the server's `max_payload`.
    case payloadTooLarge(server: String, subject: String, size: Int, limit: Int)
    /// The server sent bytes that are not the protocol.
    case protocolViolation(server: String, reason: String)
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case let .connectionFailed(servers, reason):
            return "could not connect to any NATS server of \(servers.joined(separator: ", ")): \(reason)"
        case let .serverError(server, text): return "NATS server \(server) answered -ERR '\(text)'"
        case let .notConnected(servers): return "not connected to a NATS server (reconnecting to \(servers.joined(separator: ", ")))"
        case let .disconnected(server, subject): return "connection to NATS server \(server) lost while waiting for the reply to \(subject)"
        case let .timeout(server, subject, seconds):
            return "no reply from NATS server \(server) to \(subject) within \(seconds)s"
        case let .noResponders(server, subject): return "NATS server \(server): no responders for \(subject)"
        case let .payloadTooLarge(server, subject, size, limit):
            return "message of \(size) bytes to \(subject) exceeds NATS server \(server)'s max_payload of \(limit) bytes"
        case let .protocolViolation(server, reason): return "NATS server \(server) broke the protocol: \(reason)"
        case .closed: return "the NATS client is closed"
        }
    }
}
