/// One operation the server sends, as the parser recognises it.
public enum NATSServerFrame: Sendable, Equatable {
    /// `INFO {json}`: the server's identity and limits.
    case info(NATSServerInfo)
    /// `MSG` or `HMSG`.
    case message(NATSMessage)
    case ping
    case pong
    /// `+OK` (only in verbose mode, which this client does not ask for).
    case ok
    /// `-ERR 'text'`: the text without its quotes.
    case error(String)
}
