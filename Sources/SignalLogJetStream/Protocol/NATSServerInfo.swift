import Foundation

/// The fields of the server's `INFO` that this client uses.
public struct NATSServerInfo: Sendable, Equatable, Decodable {
    public var serverID: String
    public var version: String
    /// Largest payload (headers included) the server accepts, bytes.
    public var maxPayload: Int
    public var headers: Bool
    public var authRequired: Bool
    public var jetStream: Bool

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", version, maxPayload = "max_payload", headers
        case authRequired = "auth_required", jetStream = "jetstream"
    }

    public init(serverID: String = "", version: String = "", maxPayload: Int = 1 << 20, headers: Bool = true,
                authRequired: Bool = false, jetStream: Bool = false) {
        self.serverID = serverID
        self.version = version
        self.maxPayload = maxPayload
        self.headers = headers
        self.authRequired = authRequired
        self.jetStream = jetStream
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try c.decodeIfPresent(String.self, forKey: .serverID) ?? ""
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        maxPayload = try c.decodeIfPresent(Int.self, forKey: .maxPayload) ?? (1 << 20)
        headers = try c.decodeIfPresent(Bool.self, forKey: .headers) ?? false
        authRequired = try c.decodeIfPresent(Bool.self, forKey: .authRequired) ?? false
        jetStream = try c.decodeIfPresent(Bool.self, forKey: .jetStream) ?? false
    }
}
