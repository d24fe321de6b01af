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
        var text = "NATS/1.0"
        if let status { text += " \(status)" + (statusDescription.isEmpty ? "" : " " + statusDescription) }
        text += "\r\n"
        for field in fields { text += field.name + ": " + field.value + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Parses a header block; nil when it does not start with `NATS/1.0` or
    /// a field line has no colon.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> NATSHeaders? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let first = lines.popFirst(), first.hasPrefix("NATS/1.0") else { return nil }
        var headers = NATSHeaders()
        let statusPart = first.dropFirst("NATS/1.0".count).drop(while: { $0 == " " })
        if !statusPart.isEmpty {
            let code = statusPart.prefix(while: { $0 != " " })
            guard let value = Int(code) else { return nil }
            headers.status = value
            headers.statusDescription = String(statusPart.dropFirst(code.count).drop(while: { $0 == " " }))
        }
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = String(line[..<colon])
            let value = String(line[line.index(after: colon)...].drop(while: { $0 == " " }))
            headers.fields.append((name, value))
        }
        return headers
    }
}
