/// The header block of a NATS message (`HPUB`/`HMSG`): an optional status
/// line (`NATS/1.0 404 No Messages`) and ordered `Name: Value` fields.
///
/// Names keep the case they were given; lookups try the exact name first and
/// then ignore case, as servers may canonicalise. Values must not hold CR or
/// LF (``encode()`` would otherwise produce a broken block; callers escape).
public struct NATSHeaders: Sendable, Equatable {
    /// The fields, in the order they were added or received.
    public var fields: [(name: String, value: String)]
    /// The status code of a status message (JetStream uses 404, 408, 409 and
    /// 503 on pull requests and for "no responders"); nil for plain headers.
    public var status: Int?
    /// The text after the status code, if any.
    public var statusDescription: String

    public init(_ fields: [(name: String, value: String)] = [], status: Int? = nil, statusDescription: String = "") {
        self.fields = fields
        self.status = status
        self.statusDescription = statusDescription
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        if let exact = fields.first(where: { $0.name == name }) { return exact.value }
        let lower = name.lowercased()
        return fields.first(where: { $0.name.lowercased() == lower })?.value
    }

    /// Adds a field (a name may repeat).
    public mutating func append(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    public var isEmpty: Bool { fields.isEmpty && status == nil }

    public static func == (lhs: NATSHeaders, rhs: NATSHeaders) -> Bool {
        lhs.status == rhs.status && lhs.statusDescription == rhs.statusDescription
            && lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// The block as sent on the wire: `NATS/1.0`, the fields, an empty line.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedCount)
        encode(into: &out)
        return out
    }

    /// Appends the block's bytes to `out` (no intermediate string).
    func encode(into out: inout [UInt8]) {
        out.append(contentsOf: "NATS/1.0".utf8)
        if let status {
            out.append(32)
            out.append(contentsOf: String(status).utf8)
            if !statusDescription.isEmpty {
                out.append(32)
                out.append(contentsOf: statusDescription.utf8)
            }
        }
        out.append(13); out.append(10)
        for field in fields {
            out.append(contentsOf: field.name.utf8)
            out.append(58); out.append(32)
            out.append(contentsOf: field.value.utf8)
            out.append(13); out.append(10)
        }
        out.append(13); out.append(10)
    }

    /// The length of ``encode()``'s bytes, counted without making them.
    var encodedCount: Int {
        var count = 8 + 2 + 2
        if let status {
            count += 1 + String(status).utf8.count
            if !statusDescription.isEmpty { count += 1 + statusDescription.utf8.count }
        }
        for field in fields { count += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        return count
    }

    /// Parses a header block; nil when it does not start with `NATS/1.0` or
    /// a field line has no colon. Works on the bytes (lines end in CRLF),
    /// making a string only of each name and value.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> NATSHeaders? {
        let version: [UInt8] = Array("NATS/1.0".utf8)
        guard bytes.count >= version.count, bytes.prefix(version.count).elementsEqual(version) else { return nil }
        var headers = NATSHeaders()
        var lineStart = bytes.startIndex
        var first = true
        while lineStart < bytes.endIndex {
            var lineEnd = lineStart
            while lineEnd < bytes.endIndex && !(bytes[lineEnd] == 13 && lineEnd + 1 < bytes.endIndex && bytes[lineEnd + 1] == 10) {
                lineEnd += 1
            }
            let line = bytes[lineStart..<lineEnd]
            lineStart = min(lineEnd + 2, bytes.endIndex)
            if first {
                first = false
                var rest = line.dropFirst(version.count).drop(while: { $0 == 32 })
                if !rest.isEmpty {
                    let code = rest.prefix(while: { $0 != 32 })
                    guard let value = Int(String(decoding: code, as: UTF8.self)) else { return nil }
                    headers.status = value
                    rest = rest.dropFirst(code.count).drop(while: { $0 == 32 })
                    headers.statusDescription = String(decoding: rest, as: UTF8.self)
                }
                continue
            }
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...].drop(while: { $0 == 32 }), as: UTF8.self)
            headers.fields.append((name, value))
        }
        return headers
    }
}
