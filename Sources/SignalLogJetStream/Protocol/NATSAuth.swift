/// How the client authenticates in `CONNECT`.
public enum NATSAuth: Sendable, Equatable {
    case none
    /// `auth_token`, as for `nats-server --auth TOKEN`.
    case token(String)
    /// `user` and `pass`, as for `nats-server --user U --pass P`.
    case user(String, password: String)
}
