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
        // The control line's words, as byte ranges (no string per word
        // unless a frame keeps it: MSG and HMSG are parsed straight from bytes).
        var words: [Range<Int>] = []
        var i = start
        while i < lineEnd {
            while i < lineEnd && (buffer[i] == 32 || buffer[i] == 9) { i += 1 }
            let wordStart = i
            while i < lineEnd && buffer[i] != 32 && buffer[i] != 9 { i += 1 }
            if i > wordStart { words.append(wordStart..<i) }
        }
        guard let opRange = words.first else { throw NATSProtocolError("empty control line") }
        let afterLine = lineEnd + 2
        if let frame = try message(words: words, afterLine: afterLine) { return frame }
        if buffer[opRange.lowerBound] == UInt8(ascii: "M") || buffer[opRange.lowerBound] == UInt8(ascii: "H")
            || buffer[opRange.lowerBound] == UInt8(ascii: "m") || buffer[opRange.lowerBound] == UInt8(ascii: "h") {
            // A MSG or HMSG whose payload has not fully arrived.
            if isOperation(opRange, "MSG") || isOperation(opRange, "HMSG") { return nil }
        }
        let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
        let op = String(decoding: buffer[opRange], as: UTF8.self).uppercased()
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
        default:
            throw NATSProtocolError("unknown operation \(op.prefix(40))")
        }
    }

    /// Whether the word at `range` is `name` (case-insensitively).
    private func isOperation(_ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let bytes = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for (offset, index) in range.enumerated() where buffer[index] | 0x20 != bytes[offset] | 0x20 { return false }
        return true
    }

    private func number(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let byte = buffer[index]
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// A complete `MSG` or `HMSG` frame; nil when the line is another
    /// operation or the payload has not fully arrived (then nothing is consumed).
    private mutating func message(words: [Range<Int>], afterLine: Int) throws(NATSProtocolError) -> NATSServerFrame? {
        let hasHeaders: Bool
        if isOperation(words[0], "MSG") { hasHeaders = false } else if isOperation(words[0], "HMSG") { hasHeaders = true } else { return nil }
        let op = hasHeaders ? "HMSG" : "MSG"
        // MSG subject sid [reply] size; HMSG subject sid [reply] hsize size
        let counts = hasHeaders ? 2 : 1
        guard words.count == 3 + counts || words.count == 4 + counts else {
            let line = String(decoding: buffer[words[0].lowerBound..<words[words.count - 1].upperBound], as: UTF8.self)
            throw NATSProtocolError("\(op) with \(words.count - 1) arguments: \(line.prefix(200))")
        }
        guard let sidValue = number(words[2]) else {
            throw NATSProtocolError("\(op) with subscription id \(String(decoding: buffer[words[2]], as: UTF8.self))")
        }
        guard let total = number(words[words.count - 1]) else {
            throw NATSProtocolError("\(op) with byte count \(String(decoding: buffer[words[words.count - 1]], as: UTF8.self))")
        }
        var headerSize = 0
        if hasHeaders {
            guard let size = number(words[words.count - 2]), size <= total else {
                throw NATSProtocolError("HMSG with header size \(String(decoding: buffer[words[words.count - 2]], as: UTF8.self)) of \(total) bytes")
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
        let subject = String(decoding: buffer[words[1]], as: UTF8.self)
        let reply = words.count == 4 + counts ? String(decoding: buffer[words[3]], as: UTF8.self) : nil
        let payload = Array(buffer[(afterLine + headerSize)..<(afterLine + total)])
        start = afterLine + total + 2
        return .message(NATSMessage(subject: subject, replyTo: reply, headers: headers, payload: payload, sid: UInt64(sidValue)))
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
