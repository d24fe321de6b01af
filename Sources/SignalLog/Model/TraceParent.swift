/// A validated W3C Trace Context `traceparent` value
/// (https://www.w3.org/TR/trace-context/#traceparent-header).
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    public var version: String
    public var traceID: String
    public var parentID: String
    public var flags: String

    public var description: String { "\(version)-\(traceID)-\(parentID)-\(flags)" }
    /// Whether the `sampled` flag is set.
    public var isSampled: Bool { (UInt8(flags, radix: 16) ?? 0) & 1 == 1 }

    /// Parses and validates a header value. Per the spec: lowercase hex only;
    /// version `ff` is invalid; version `00` is exactly 55 characters; a
    /// later version may append `-`-separated fields; trace id and parent id
    /// must not be all zeros.
    ///
    /// - Parameter text: the header value.
    /// - Throws: ``TraceParentError``, whose reason names the rule broken: too
    ///   short, a version-00 value not exactly 55 characters, missing `-`
    ///   separators, a field that is not lowercase hex of its length, version
    ///   `ff`, or an all-zero trace id or parent id.
    public init(parsing text: String) throws(TraceParentError) {
        let bytes = Array(text.utf8)
        func isHex(_ slice: ArraySlice<UInt8>) -> Bool {
            slice.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        guard bytes.count >= 55 else { throw .init(reason: "traceparent must be at least 55 characters, got \(bytes.count)") }
        guard bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D else {
            throw .init(reason: "traceparent must be version-traceid-parentid-flags separated by '-'")
        }
        let versionBytes = bytes[0..<2], traceBytes = bytes[3..<35], parentBytes = bytes[36..<52], flagBytes = bytes[53..<55]
        guard isHex(versionBytes) else { throw .init(reason: "traceparent version must be 2 lowercase hex digits") }
        let version = String(decoding: versionBytes, as: UTF8.self)
        guard version != "ff" else { throw .init(reason: "traceparent version ff is invalid") }
        if version == "00" {
            guard bytes.count == 55 else { throw .init(reason: "traceparent version 00 must be exactly 55 characters, got \(bytes.count)") }
        } else if bytes.count > 55 {
            guard bytes[55] == 0x2D else { throw .init(reason: "traceparent fields after flags must start with '-'") }
        }
        guard isHex(traceBytes) else { throw .init(reason: "trace-id must be 32 lowercase hex digits") }
        guard traceBytes.contains(where: { $0 != 0x30 }) else { throw .init(reason: "trace-id must not be all zeros") }
        guard isHex(parentBytes) else { throw .init(reason: "parent-id must be 16 lowercase hex digits") }
        guard parentBytes.contains(where: { $0 != 0x30 }) else { throw .init(reason: "parent-id must not be all zeros") }
        guard isHex(flagBytes) else { throw .init(reason: "trace-flags must be 2 lowercase hex digits") }
        self.version = version
        self.traceID = String(decoding: traceBytes, as: UTF8.self)
        self.parentID = String(decoding: parentBytes, as: UTF8.self)
        self.flags = String(decoding: flagBytes, as: UTF8.self)
    }

    /// Whether `text` is a valid traceparent value.
    ///
    /// - Parameter text: the header value.
    public static func isValid(_ text: String) -> Bool { (try? TraceParent(parsing: text)) != nil }
}

/// Why a traceparent value is invalid.
public struct TraceParentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
