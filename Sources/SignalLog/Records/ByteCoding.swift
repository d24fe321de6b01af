/// Why a record payload could not be decoded.
public enum SignalRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload ends inside `field`.
    case truncated(field: String)
    /// The payload's version byte is not one this build reads.
    case unsupportedVersion(kind: UInt8, version: UInt8)
    /// A field holds a value that cannot be right.
    case invalid(field: String, reason: String)
    /// The record kind is not one of ``SignalRecordKind``.
    case unknownKind(UInt8)

    public var description: String {
        switch self {
        case .truncated(let field): return "record payload ends inside field \(field)"
        case let .unsupportedVersion(kind, version): return "record of kind \(kind) has payload version \(version), which this build cannot read"
        case let .invalid(field, reason): return "record field \(field): \(reason)"
        case .unknownKind(let kind): return "unknown record kind \(kind)"
        }
    }
}

/// Appends little-endian fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always) mutating func u8(_ value: UInt8) { bytes.append(value) }

    @inline(__always) mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    @inline(__always) mutating func f64(_ value: Double) { u64(value.bitPattern) }

    @inline(__always) mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    @inline(__always) mutating func varint(_ value: Int) { varint(UInt64(max(0, value))) }

    mutating func string(_ text: String) {
        // Native strings lend their bytes without a copy (or a retain).
        if let done: Void = text.utf8.withContiguousStorageIfAvailable({ utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }) {
            return done
        }
        var text = text
        text.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Compact binary JSON: tag 0 null, 1 false, 2 true, 3 number (f64),
    /// 4 string, 5 array (count, values), 6 object (count, sorted key/value pairs).
    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: u8(0)
        case .bool(let flag): u8(flag ? 2 : 1)
        case .number(let number): u8(3); f64(number)
        case .string(let text): u8(4); string(text)
        case .array(let items):
            u8(5)
            varint(items.count)
            for item in items { json(item) }
        case .object(let members):
            u8(6)
            varint(members.count)
            for key in members.keys.sorted() {
                string(key)
                json(members[key]!)
            }
        }
    }
}

/// Reads little-endian fields with bounds checks; every length is checked
/// against the bytes left before anything is allocated.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func u8(_ field: String) throws(SignalRecordError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(field: field) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u64(_ field: String) throws(SignalRecordError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(field: field) }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return value
    }

    mutating func i64(_ field: String) throws(SignalRecordError) -> Int64 { Int64(bitPattern: try u64(field)) }

    mutating func f64(_ field: String) throws(SignalRecordError) -> Double { Double(bitPattern: try u64(field)) }

    mutating func varint(_ field: String) throws(SignalRecordError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw .truncated(field: field) }
            let byte = bytes[position]
            position += 1
            // The tenth byte holds bit 63 alone: anything above 1 (a continuation
            // bit included) needs more than 64 bits.
            if shift == 63 && byte > 1 { throw .invalid(field: field, reason: "varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    mutating func count(_ field: String, minimumElementBytes: Int = 1) throws(SignalRecordError) -> Int {
        let value = try varint(field)
        guard value <= UInt64(remaining / max(1, minimumElementBytes)) else {
            throw .invalid(field: field, reason: "count \(value) exceeds the \(remaining) bytes left")
        }
        return Int(value)
    }

    mutating func string(_ field: String) throws(SignalRecordError) -> String {
        let length = try count(field)
        defer { position += length }
        guard let text = bytes[position..<(position + length)].withUnsafeBytes({ String(validating: $0, as: UTF8.self) }) else {
            throw .invalid(field: field, reason: "not valid UTF-8")
        }
        return text
    }

    mutating func json(_ field: String, depth: Int = 0) throws(SignalRecordError) -> JSONValue {
        guard depth < 512 else { throw .invalid(field: field, reason: "JSON nested deeper than 512 levels") }
        let tag = try u8(field)
        switch tag {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .number(try f64(field))
        case 4: return .string(try string(field))
        case 5:
            let count = try count(field)
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try json(field, depth: depth + 1)) }
            return .array(items)
        case 6:
            let count = try count(field, minimumElementBytes: 2)
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(count)
            for _ in 0..<count {
                let key = try string(field)
                members[key] = try json(field, depth: depth + 1)
            }
            return .object(members)
        default:
            throw .invalid(field: field, reason: "unknown JSON tag \(tag)")
        }
    }
}
