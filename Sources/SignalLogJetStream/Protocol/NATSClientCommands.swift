import Foundation

/// The client's side of the protocol, encoded as the bytes to send.
enum NATSClientCommands {
    /// `CONNECT {json}`: no echo of +OK (verbose off), headers and
    /// no-responders on (a request nobody serves gets a 503 at once).
    static func connect(auth: NATSAuth, name: String) -> [UInt8] {
        var fields: [String: any Sendable] = [
            "verbose": false, "pedantic": false, "headers": true, "no_responders": true,
            "protocol": 1, "lang": "swift", "version": "0.1.0", "name": name,
        ]
        switch auth {
        case .none: break
        case .token(let token): fields["auth_token"] = token
        case .user(let user, let password):
            fields["user"] = user
            fields["pass"] = password
        }
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array("CONNECT ".utf8) + Array(data) + crlf
    }

    static let crlf: [UInt8] = [13, 10]
    static let ping = Array("PING\r\n".utf8)
    static let pong = Array("PONG\r\n".utf8)

    /// `PUB subject [reply] size` or, with headers, `HPUB subject [reply] hsize size`, then the bytes,
    /// appended to `out` directly.
    static func publish(subject: String, replyTo: String?, headers: NATSHeaders?, payload: [UInt8], into out: inout [UInt8]) {
        let headerCount = headers.map { $0.isEmpty ? 0 : $0.encodedCount } ?? 0
        out.append(contentsOf: (headerCount > 0 ? "HPUB " : "PUB ").utf8)
        out.append(contentsOf: subject.utf8)
        if let replyTo {
            out.append(32)
            out.append(contentsOf: replyTo.utf8)
        }
        out.append(32)
        if headerCount > 0 {
            out.append(contentsOf: String(headerCount).utf8)
            out.append(32)
        }
        out.append(contentsOf: String(headerCount + payload.count).utf8)
        out += crlf
        if headerCount > 0, let headers { headers.encode(into: &out) }
        out += payload
        out += crlf
    }

    static func subscribe(subject: String, queue: String?, sid: UInt64) -> [UInt8] {
        Array("SUB \(subject)\(queue.map { " " + $0 } ?? "") \(sid)\r\n".utf8)
    }

    static func unsubscribe(sid: UInt64, after max: Int? = nil) -> [UInt8] {
        Array("UNSUB \(sid)\(max.map { " \($0)" } ?? "")\r\n".utf8)
    }
}
