import Foundation
import SegmentLog
import Testing

@Suite("info and cat on golden fixtures and generated logs")
struct InfoCatTests {
    @Test func infoDescribesTheBasicFixture() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let text = try signallog(["info", log])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("190  (sequences 0…189)"))
        #expect(text.stdout.contains("5  (4 sealed, 1 active)"))
        #expect(text.stdout.contains("00000000000000000156.seg  active"))
        #expect(!text.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")

        let json = try signallog(["info", log, "--json", "--top", "2"])
        #expect(json.status == 0, "\(json)")
        let document = try #require(try json.json() as? [String: Any])
        #expect(document["records"] as? Int == 190)
        #expect(document["first_sequence"] as? Int == 0)
        #expect(document["last_sequence"] as? Int == 189)
        let segments = try #require(document["segments"] as? [[String: Any]])
        #expect(segments.count == 5)
        #expect(segments.map { $0["state"] as? String } == ["sealed", "sealed", "sealed", "sealed", "active"])
        #expect(segments.reduce(0) { $0 + ($1["records"] as? Int ?? 0) } == 190)
        let kinds = try #require(document["kinds"] as? [String: Int])
        #expect(kinds.values.reduce(0, +) == 190)
        let partitions = try #require(document["partitions"] as? [String: Any])
        #expect(partitions["count"] as? Int == 4)
        #expect((partitions["top"] as? [[String: Any]])?.count == 2)
        #expect((document["compression_ratio"] as? Double ?? 0) > 1)
        // The fixture is not modified by a read-only command.
        #expect(fileNames(log) == fileNames(fixturesPath + "/v1/basic"))
    }

    @Test func catPrintsEveryRecordInOrder() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let expected = try manifest("basic")
        let result = try signallog(["cat", log, "-o", "ndjson"])
        #expect(result.status == 0, "\(result)")
        let records = try result.ndjson()
        #expect(records.map { $0["sequence"] as? Int } == expected.map { Int($0.sequence) })
        #expect(records.map { $0["partition"] as? String } == expected.map(\.partition))
        let text = try signallog(["replay", log])
        #expect(text.status == 0)
        #expect(text.lines.count == 190, "replay is an alias of cat")
    }

    @Test func timeWindowsMatchABruteForceScan() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let expected = try manifest("basic")
        let since: Int64 = 1_764_000_010_000_000, until: Int64 = 1_764_000_020_000_000
        for (sinceText, untilText) in [("2025-11-24T16:00:10Z", "2025-11-24T16:00:20Z"), (String(since / 1000), String(until / 1000)), ("2025-11-24 16:00:10", "2025-11-24T17:00:20+01:00")] {
            let result = try signallog(["cat", log, "--since", sinceText, "--until", untilText, "-o", "ndjson"])
            #expect(result.status == 0, "\(result)")
            let want = expected.filter { $0.timestamp >= since && $0.timestamp < until }.map { Int($0.sequence) }
            #expect(!want.isEmpty)
            #expect(try result.ndjson().map { $0["sequence"] as? Int } == want, "window \(sinceText) – \(untilText)")
        }
        // Partition and kind filters, combined with time.
        let result = try signallog(["cat", log, "--since", "2025-11-24T16:00:10Z", "--partition", "partition-1", "--partition", "partition-3", "--kind", "2", "--kind", "dlq-move", "-o", "ndjson"])
        let want = expected.filter { $0.timestamp >= since && ["partition-1", "partition-3"].contains($0.partition) && [2, 3].contains($0.kind) }.map { Int($0.sequence) }
        #expect(try result.ndjson().map { $0["sequence"] as? Int } == want)
        // Relative times: the fixture is in the past, so the last hour is empty and the last 10 years is everything.
        #expect(try signallog(["cat", log, "--since", "-1h"]).lines.isEmpty)
        #expect(try signallog(["cat", log, "--since", "-3650d"]).lines.count == 190)
    }

    @Test func lastNAndReverse() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let last = try signallog(["cat", log, "-n", "5", "-o", "ndjson"])
        #expect(try last.ndjson().map { $0["sequence"] as? Int } == [185, 186, 187, 188, 189])
        let reversed = try signallog(["cat", log, "--reverse", "-o", "ndjson"])
        #expect(try reversed.ndjson().map { $0["sequence"] as? Int } == Array((0...189).reversed()))
        let lastOfPartition = try signallog(["cat", log, "-n", "3", "--reverse", "--partition", "partition-0", "-o", "ndjson"])
        let expected = try manifest("basic").filter { $0.partition == "partition-0" }.suffix(3).reversed().map { Int($0.sequence) }
        #expect(try lastOfPartition.ndjson().map { $0["sequence"] as? Int } == expected)
        let none = try signallog(["cat", log, "-n", "0"])
        #expect(none.status == 0 && none.stdout.isEmpty)
    }

    @Test func jsonOutputIsOneValidArray() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let result = try signallog(["cat", log, "-o", "json", "--partition", "partition-2"])
        let array = try #require(try result.json() as? [[String: Any]])
        #expect(array.count == 47)
        #expect(array.allSatisfy { $0["kind"] != nil && $0["time"] != nil && $0["partition"] as? String == "partition-2" })
        let empty = try signallog(["cat", log, "-o", "json", "--partition", "nobody"])
        #expect(try empty.json() as? [Any] != nil)
    }

    @Test func largeGeneratedLogAcrossSegments() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        let log = try makeStorageLog(path, count: 5000, partitions: 7, batch: 25, segmentMaxBytes: 16 << 10)
        try log.close()
        let info = try #require(try signallog(["info", path, "--json"]).json() as? [String: Any])
        #expect(info["records"] as? Int == 5000)
        #expect((info["segments"] as? [Any])?.count ?? 0 > 3)
        // Batch k (25 records) was appended at start + k seconds: a 10-second window holds 250 records.
        let start: Int64 = 1_700_000_000_000
        let window = try signallog(["cat", path, "--since", String(start + 40_000), "--until", String(start + 50_000), "-o", "ndjson"])
        #expect(try window.ndjson().map { $0["sequence"] as? Int } == Array(1000..<1250))
        let partition = try signallog(["cat", path, "--partition", "p3", "-o", "ndjson"])
        #expect(try partition.ndjson().map { $0["sequence"] as? Int } == Array(stride(from: 3, to: 5000, by: 7)))
        let tail = try signallog(["cat", path, "-n", "3", "--partition", "p0", "-o", "ndjson"])
        #expect(try tail.ndjson().map { $0["sequence"] as? Int } == [4984, 4991, 4998])
    }

    @Test func userMistakesGiveOneLineAndAStatus() throws {
        let temp = TemporaryDirectory()
        let missing = try signallog(["info", temp.child("nowhere")])
        #expect(missing.status == 2)
        expectOneLineError(missing, containing: "no such directory")

        let notALog = temp.child("notalog")
        try FileManager.default.createDirectory(atPath: notALog, withIntermediateDirectories: true)
        try "hello".write(toFile: notALog + "/notes.txt", atomically: true, encoding: .utf8)
        for command in [["info", notALog], ["cat", notALog], ["verify", notALog], ["dlq", notALog, "list"]] {
            let result = try signallog(command)
            #expect(result.status == 2, "\(command): \(result)")
            expectOneLineError(result, containing: "not a SignalLog log")
        }
        let empty = temp.child("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        expectOneLineError(try signallog(["cat", empty]), containing: "empty")

        let log = try copyFixture("basic", into: temp)
        let badTime = try signallog(["cat", log, "--since", "last tuesday"])
        #expect(badTime.status != 0)
        expectOneLineError(badTime, containing: "bad time expression 'last tuesday'")
        let badKind = try signallog(["cat", log, "--kind", "banana"])
        #expect(badKind.status != 0)
        #expect(badKind.stderr.contains("unknown record kind 'banana'"))
        let file = temp.child("plainfile")
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        expectOneLineError(try signallog(["info", file]), containing: "not a directory")
    }

    @Test func everySubcommandHasHelp() throws {
        for command in ["info", "cat", "replay", "trace", "dlq", "verify", "repair", "ingest", "vacuum", "demo"] {
            let result = try signallog([command, "--help"])
            #expect(result.status == 0, "\(command): \(result)")
            #expect(result.stdout.contains("USAGE"), "\(command)")
            #expect(result.stdout.contains("Examples"), "\(command) --help shows examples")
        }
    }

    @Test func catReportsCorruptionWithTheFileAndOffsetAndGoesOn() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("flipped-bit", into: temp)
        let result = try signallog(["cat", log, "-o", "ndjson"])
        #expect(result.status == 1)
        expectOneLineError(result, containing: "00000000000000000000.seg at offset 40")
        #expect(try result.ndjson().map { $0["sequence"] as? Int } == Array(1..<190), "every intact record after the damage is printed")
        // A window that does not touch the damage reads fine.
        let later = try signallog(["cat", log, "--since", "2025-11-24T16:00:20Z", "-o", "ndjson"])
        #expect(later.status == 0, "\(later)")
        #expect(try later.ndjson().count == (try manifest("basic").filter { $0.timestamp >= 1_764_000_020_000_000 }.count))
    }
}
