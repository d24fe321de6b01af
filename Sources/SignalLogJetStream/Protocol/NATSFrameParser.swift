import Foundation

/// Turns the bytes a server sends into ``NATSServerFrame``s, however the
/// stream is split: feed every chunk to ``append(_:)`` and call ``next()``
/// until it returns nil (a frame is incomplete until its last byte arrives).
///
/// Wire format (docs/jetstream.md, "Protocol"): a control line ending in
/// CRLF, whose first word names the operation case-insensitively; `MSG` and
/// `HMSG` are followed by their byte counts of headers and payload and a CRLF.
public struct NATSFrameParser: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// Longest control line accepted (the server's own default limit).
    public let maxControlLine: Int

    public init(maxControlLine: Int = 4096) {
        self.maxControlLine = maxControlLine
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received but not yet parsed into a frame.
    public var buffered: Int { buffer.count - start }

    /// The next complete frame, or nil until more bytes arrive. Throws on
    /// bytes that are not the protocol; the connection should then be dropped.
    public mutating func next() throws(NATSProtocolError) -> NATSServerFrame? {
        guard let lineEnd = findCRLF(from: start) else {
            if buffered > maxControlLine { throw NATSProtocolError("control line longer than \(maxControlLine) bytes") }
            return nil
        }
        guard lineEnd - start <= maxControlLine else { throw NATSProtocolError("control line longer than \(maxControlLine) bytes") }
        let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let op = words.first?.uppercased() else { throw NATSProtocolError("empty control line") }
        let afterLine = lineEnd + 2
        switch op {
        case "PING":
            start = afterLine
            return .ping
        case "PONG":
            start = afterLine
            return .pong
        case "+OK":
            start = afterLine
            return .ok
        case "-ERR":
            start = afterLine
            var text = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("'") && text.hasSuffix("'") && text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            return .error(text)
        case "INFO":
            let json = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
            do {
                let info = try JSONDecoder().decode(NATSServerInfo.self, from: Data(json.utf8))
                start = afterLine
                return .info(info)
            } catch {
                throw NATSProtocolError("INFO is not valid JSON: \(json.prefix(200))")
            }
        case "MSG", "HMSG":
            let hasHeaders = op == "HMSG"
            // MSG subject sid [reply] size; HMSG subject sid [reply] hsize size
            let counts = hasHeaders ? 2 : 1
            guard words.count == 3 + counts || words.count == 4 + counts else {
                throw NATSProtocolError("\(op) with \(words.count - 1) arguments: \(line.prefix(200))")
            }
            guard let sid = UInt64(words[2]) else { throw NATSProtocolError("\(op) with subscription id \(words[2])") }
            let reply = words.count == 4 + counts ? String(words[3]) : nil
            guard let total = Int(words[words.count - 1]), total >= 0 else {
                throw NATSProtocolError("\(op) with byte count \(words[words.count - 1])")
            }
            var headerSize = 0
            if hasHeaders {
                guard let size = Int(words[words.count - 2]), size >= 0, size <= total else {
                    throw NATSProtocolError("HMSG with header size \(words[words.count - 2]) of \(total) bytes")
                }
                headerSize = size
            }
            guard buffer.count >= afterLine + total + 2 else { return nil }
            guard buffer[afterLine + total] == 13, buffer[afterLine + total + 1] == 10 else {
                throw NATSProtocolError("\(op) payload of \(total) bytes is not followed by CRLF")
            }
            var headers = NATSHeaders()
            if hasHeaders {
                guard let parsed = NATSHeaders.decode(buffer[afterLine..<afterLine + headerSize]) else {
                    throw NATSProtocolError("HMSG header block is not NATS/1.0 headers")
                }
                headers = parsed
            }
            let payload = Array(buffer[(afterLine + headerSize)..<(afterLine + total)])
            start = afterLine + total + 2
            return .message(NATSMessage(subject: String(words[1]), replyTo: reply, headers: headers, payload: payload, sid: sid))
        default:
            throw NATSProtocolError("unknown operation \(op.prefix(40))")
        }
    }

    private func findCRLF(from index: Int) -> Int? {
        var i = index
        let end = buffer.count - 1
        while i < end {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }
}

/// Bytes from the server that break the protocol.
public struct NATSProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "protocol error: \(reason)" }
}
