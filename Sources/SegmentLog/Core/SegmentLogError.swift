#if canImport(Glibc)
import Glibc
#endif

/// Everything that can go wrong opening, writing or reading a log.
///
/// Each message names the file (and where it applies the byte offset and the
/// value at fault), so an operator can find the problem without a debugger.
public enum SegmentLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// Another writer holds the log's lock file.
    case locked(path: String)
    /// The directory is not a SignalLog log, or holds a file the log does not own.
    case unexpectedFile(path: String, reason: String)
    /// Bytes on disk that fail a checksum or a structural check in the middle of
    /// the log, where a crash cannot have put them.
    case corruption(path: String, offset: Int64, reason: String)
    /// A file written by a newer (or unknown) format version.
    case unsupportedFormat(path: String, version: UInt16)
    /// Sequence numbers do not continue from one segment to the next.
    case sequenceGap(path: String, expected: UInt64, found: UInt64)
    /// A record or batch exceeds the configured limits.
    case limitExceeded(what: String, value: Int, limit: Int)
    /// The log was opened read-only.
    case readOnly(path: String)
    /// An earlier fsync failed; the kernel may have dropped the data it held,
    /// so the log accepts no more writes until it is reopened.
    case durabilityLost(path: String, errno: Int32)
    /// The log was closed.
    case closed(path: String)
    /// A caller passed a value the API cannot accept.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .io(operation, path, code):
            return "\(operation) failed for \(path): \(Self.errnoText(code)) (errno \(code))"
        case let .locked(path):
            return "\(path) is locked by another writer; open it read-only to inspect it"
        case let .unexpectedFile(path, reason):
            return "\(path): \(reason)"
        case let .corruption(path, offset, reason):
            return "corruption in \(path) at offset \(offset): \(reason)"
        case let .unsupportedFormat(path, version):
            return "\(path) has format version \(version), which this build cannot read"
        case let .sequenceGap(path, expected, found):
            return "\(path) starts at sequence \(found) but the previous segment ends before \(expected): records are missing"
        case let .limitExceeded(what, value, limit):
            return "\(what) is \(value) bytes, over the limit of \(limit)"
        case let .readOnly(path):
            return "\(path) is open read-only"
        case let .durabilityLost(path, code):
            return "fsync of \(path) failed (\(Self.errnoText(code))); unsynced data may be lost, so the log refuses further writes until reopened"
        case let .closed(path):
            return "the log at \(path) is closed"
        case let .invalidArgument(text):
            return text
        }
    }

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
