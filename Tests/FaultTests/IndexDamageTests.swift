import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #8: index files deleted, truncated or bit-flipped (CI: 120
/// lengths and 300 bits of one index, 10 flips of each other one;
/// `FAULT_INDEX_FULL=1`: every length and every bit).
/// Every time the damage is detected, the index is rebuilt from its segment
/// (in memory for a read-only open, which must not touch a file; on disk for
/// a writable one, after which the next open needs no rebuild), and query
/// results — by sequence, time, partition and kind — are identical to the
/// undamaged log's.
@Suite("Index damage (reliability scenario #8)")
struct IndexDamageTests {
    @Test func damagedIndexesAreRebuiltAndQueriesAgree() throws {
        let seed = FaultScale.seed(for: "index-damage")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("index")
        let generated = try GeneratedLog(directory: directory.child(), seed: random.split(), batchCount: 90, segmentMaxBytes: 6144)
        let options = generated.options(segmentMaxBytes: 6144)
        let indexes = FileBytes.names(in: generated.directory).filter { $0.hasSuffix(".idx") }.map { generated.directory + "/" + $0 }
        try #require(indexes.count >= 3)
        let names = FileBytes.names(in: generated.directory)
        var pristine: [String: [UInt8]] = [:]
        for name in names where name != "LOCK" { pristine[generated.directory + "/" + name] = FileBytes.read(generated.directory + "/" + name) }

        let middle = generated.batches[generated.batches.count / 2]
        let queries = [
            LogQuery(),
            LogQuery(fromSequence: middle.sequences.lowerBound + 1),
            LogQuery(since: middle.timestamp - 5_000_000, until: middle.timestamp + 5_000_000),
            LogQuery(partitions: ["part-3"]),
            LogQuery(partitions: ["part-1", "part-6"], kinds: [2, 4]),
            LogQuery(fromSequence: 17, throughSequence: middle.sequences.upperBound, kinds: [0]),
        ]
        let baseline = try SegmentLog.openReadOnly(directory: generated.directory, options: options)
        let expected = queries.map { QueryRun(baseline, $0).records }
        try baseline.close()
        for (query, records) in zip(queries, expected) {
            #expect(records.map(\.sequence) == generated.expected(query), "FAULT_SEED=\(seed): the undamaged log answers \(query) wrongly")
        }

        var damages: [(String, String, [UInt8]?)] = []
        let swept = indexes[random.int(0...(indexes.count - 1))]
        let sweptBytes = pristine[swept]!
        for index in indexes { damages.append(("deleted", index, nil)) }
        // CI samples; FAULT_INDEX_FULL=1 sweeps every length and every bit.
        let full = FaultScale.integer("FAULT_INDEX_FULL", default: 0) == 1
        let lengths = Array(0..<sweptBytes.count)
        for length in full ? lengths : (0..<120).map({ _ in lengths[random.int(0...(lengths.count - 1))] }) {
            damages.append(("truncated to \(length)", swept, Array(sweptBytes[0..<length])))
        }
        let bits = Array(0..<sweptBytes.count * 8)
        for bit in full ? bits : (0..<300).map({ _ in bits[random.int(0...(bits.count - 1))] }) {
            var bytes = sweptBytes
            bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            damages.append(("bit \(bit) flipped", swept, bytes))
        }
        for index in indexes where index != swept {
            let bytes = pristine[index]!
            for _ in 0..<(full ? 200 : 10) {
                var flipped = bytes
                let bit = random.int(0...(bytes.count * 8 - 1))
                flipped[bit / 8] ^= UInt8(1 << (bit % 8))
                damages.append(("bit \(bit) flipped", index, flipped))
            }
            damages.append(("truncated to \(bytes.count / 2)", index, Array(bytes[0..<bytes.count / 2])))
        }

        var checked = 0
        for (what, index, bytes) in damages {
            TornTailTests.removeFiles(in: generated.directory, notIn: names)
            for (path, original) in pristine where FileBytes.read(path) != original { FileBytes.write(path, original) }
            if let bytes { FileBytes.write(index, bytes) } else { try FileManager.default.removeItem(atPath: index) }
            let context = "\(URL(fileURLWithPath: index).lastPathComponent) \(what) (FAULT_SEED=\(seed))"
            if !check(generated.directory, index: index, options: options, queries: queries, expected: expected, context: context) { break }
            checked += 1
        }
        print("[index-damage] FAULT_SEED=\(seed): \(checked) of \(damages.count) damaged indexes rebuilt with identical query results")
    }

    private func check(_ directory: String, index: String, options: LogOptions, queries: [LogQuery], expected: [[LogRecord]], context: String) -> Bool {
        do {
            let before = FileBytes.names(in: directory).map { ($0, FileBytes.read(directory + "/" + $0)) }
            let inspector = try SegmentLog.openReadOnly(directory: directory, options: options)
            for (query, records) in zip(queries, expected) where QueryRun(inspector, query).records != records {
                Issue.record(Comment(rawValue: "\(context): read-only, \(query) differs from the undamaged log"))
                return false
            }
            try inspector.close()
            let after = FileBytes.names(in: directory).map { ($0, FileBytes.read(directory + "/" + $0)) }
            if !before.elementsEqual(after, by: { $0.0 == $1.0 && $0.1 == $1.1 }) {
                Issue.record(Comment(rawValue: "\(context): a read-only open changed the directory"))
                return false
            }

            let log = try SpawnGate.open(directory, options: options)
            let rebuilt = log.recoveryReport.rebuiltIndexes.contains(index)
            for (query, records) in zip(queries, expected) where QueryRun(log, query).records != records {
                Issue.record(Comment(rawValue: "\(context): \(query) differs from the undamaged log"))
                return false
            }
            try log.close()
            guard rebuilt else {
                Issue.record(Comment(rawValue: "\(context): the damage was not detected (rebuilt: \(log.recoveryReport.rebuiltIndexes))"))
                return false
            }
            let again = try SpawnGate.open(directory, options: options)
            defer { try? again.close() }
            guard again.recoveryReport.rebuiltIndexes.isEmpty else {
                Issue.record(Comment(rawValue: "\(context): the rebuilt index was rebuilt again: \(again.recoveryReport.rebuiltIndexes)"))
                return false
            }
            return true
        } catch {
            Issue.record(Comment(rawValue: "\(context): \(error)"))
            return false
        }
    }
}
