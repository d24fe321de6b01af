import Foundation
import TestSupport
import Synchronization
@testable import SegmentLog

/// A fresh, empty directory per test, removed when the value is dropped.
final class TemporaryDirectory {
    let path: String

    init(_ name: String = "segmentlog") {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory that does not exist yet (for a log directory).
    func child(_ name: String = "log") -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Deterministic values for payloads and choices, seeded so failures
/// reproduce: the tests' one SplitMix64 (tools/test-support).
typealias SeededGenerator = SplitMix64

func payload(_ seed: Int, size: Int) -> [UInt8] {
    var generator = SeededGenerator(seed: UInt64(seed))
    // Half text-like (compressible), half random, like real signal content.
    var bytes = [UInt8](repeating: 0, count: size)
    for i in 0..<size {
        if i % 2 == 0 {
            bytes[i] = UInt8(97 + (i / 2) % 26)
        } else {
            bytes[i] = UInt8(truncatingIfNeeded: generator.next())
        }
    }
    return bytes
}

func readAll(_ log: SegmentLog, _ query: LogQuery = LogQuery()) throws -> [LogRecord] {
    let reader = log.read(query)
    var records: [LogRecord] = []
    while let record = try reader.next() { records.append(record) }
    return records
}

func options(clock: ManualClock? = nil, segmentMaxBytes: Int64? = nil, configure: (inout LogOptions) -> Void = { _ in }) -> LogOptions {
    var options = LogOptions()
    if let clock { options.clock = clock }
    if let segmentMaxBytes { options.segmentMaxBytes = segmentMaxBytes }
    configure(&options)
    return options
}

func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? -1
}

func segmentFiles(_ directory: String, suffix: String = ".seg") -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }.sorted().map { directory + "/" + $0 }
}

/// A one-way flag shared between tasks.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Reads the whole query as a caller that keeps calling `next()` after an
/// error does: every record returned and every error thrown, in order (at
/// most `limit` errors, so a reader stuck on one spot cannot loop forever).
func readPastErrors(_ log: SegmentLog, _ query: LogQuery = LogQuery(), limit: Int = 20) -> (records: [LogRecord], errors: [SegmentLogError]) {
    let reader = log.read(query)
    var records: [LogRecord] = []
    var errors: [SegmentLogError] = []
    while errors.count < limit {
        do {
            guard let record = try reader.next() else { break }
            records.append(record)
        } catch {
            errors.append(error)
        }
    }
    return (records, errors)
}

/// The file and offset a corruption error names, or nil for another error.
func corruptionSite(_ error: SegmentLogError?) -> (path: String, offset: Int64)? {
    guard case let .corruption(path, offset, _) = error else { return nil }
    return (path, offset)
}

/// The names and contents of every file in `directory`, to check that an open changed nothing.
func directoryContents(_ directory: String) -> [String: Data] {
    var contents: [String: Data] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name != "LOCK" {
        contents[name] = FileManager.default.contents(atPath: directory + "/" + name)
    }
    return contents
}
