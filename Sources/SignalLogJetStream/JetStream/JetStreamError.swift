/// Failures of JetStream calls, naming the server, the API subject and the
/// server's own error text.
public enum JetStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API answered with an error (`code` is HTTP-like, `errorCode` the
    /// server's own number, e.g. 10059 "stream not found").
    case api(server: String, subject: String, code: Int, errorCode: Int, description: String)
    /// The request could not be made or answered (no connection, timeout, no responders...).
    case transport(NATSError)
    /// A reply that is not the JSON the API documents.
    case malformedResponse(server: String, subject: String, reason: String)

    /// The server's error number, when the API answered with an error.
    public var errorCode: Int? {
        if case .api(_, _, _, let errorCode, _) = self { return errorCode }
        return nil
    }

    public var description: String {
        switch self {
        case let .api(server, subject, code, errorCode, description):
            return "JetStream on \(server) refused \(subject): \(description) (status \(code), error \(errorCode))"
        case let .transport(error): return "\(error)"
        case let .malformedResponse(server, subject, reason):
            return "JetStream on \(server) answered \(subject) with an unreadable reply: \(reason)"
        }
    }
}

/// JetStream error numbers this module checks for.
public enum JetStreamErrorCode {
    public static let streamNotFound = 10059
    public static let streamNameInUse = 10058
    public static let noMessageFound = 10037
    public static let consumerNotFound = 10014
}
