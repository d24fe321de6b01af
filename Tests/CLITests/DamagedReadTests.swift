import Foundation
import SegmentLog
import Testing

/// Every reading command reports the damage or gap it passes over — on
/// stderr, with the file, and with a non-zero exit status — and never shows
/// a damaged log as healthy (docs/cli.md).
@Suite("reading commands on damaged logs")
struct DamagedReadTests {
    /// Ways of damaging the active segment's 40-byte header.
    enum HeaderDamage: String, CaseIterable, CustomTestStringConvertible {
        case flippedBit, emptied, cutToOneByte, cutTo39Bytes, randomBytes, reservedByte
        var testDescription: String { rawValue }

        func apply(to path: String) throws {
            var bytes = fileBytes(path)
            switch self {
            case .flippedBit: bytes[3] ^= 0x04
            case .emptied: bytes = []
            case .cutToOneByte: bytes = Array(bytes.prefix(1))
            case .cutTo39Bytes: bytes = Array(bytes.prefix(39))
            case .randomBytes:
                var state: UInt64 = 0x5EED_1234
                for i in 0..<40 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
                }
            case .reservedByte: bytes[37] = 1
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    static let active = "00000000000000000156.seg"

    /// Whether `info`'s text says "health ok".
    static func saysHealthy(_ text: String) -> Bool {
        text.range(of: "health\\s+ok", options: .regularExpression) != nil
    }

    /// The reading commands, each with the status it must not return on a damaged log.
    static func readingCommands(_ log: String) -> [[String]] {
        [["cat", log], ["cat", log, "-o", "ndjson"], ["cat", log, "-n", "5"], ["trace", log, "no-such-correlation"],
         ["dlq", log, "list"], ["info", log], ["info", log, "--json"], ["verify", log]]
    }

    private func expectEveryCommandReports(_ log: String, naming file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for arguments in Self.readingCommands(log) {
            let result = try signallog(arguments)
            #expect(result.status != 0, "\(arguments) hid the damage: \(result)", sourceLocation: sourceLocation)
            let said = result.stderr + (arguments[0] == "verify" ? result.stdout : "")
            #expect(said.contains(file), "\(arguments) did not name \(file): \(result)", sourceLocation: sourceLocation)
            #expect(!result.stderr.contains("Fatal error"), "\(result)", sourceLocation: sourceLocation)
        }
        let info = try signallog(["info", log]).stdout
        #expect(!Self.saysHealthy(info), "info shows a damaged log as healthy: \(info)", sourceLocation: sourceLocation)
    }

    /// The damaged golden fixtures (fixtures/v1/EXPECTED) and the file each names.
    static let damagedFixtures: [(String, String)] = [
        ("flipped-bit", "00000000000000000000.seg"),
        ("damaged-active-header", "00000000000000000061.seg"),
        ("missing-middle-segment", "00000000000000000041.seg"),
        ("cut-sealed-segment", "00000000000000000021.seg"),
        ("cut-clean-close", "00000000000000000061.seg"),
    ]

    @Test(arguments: damagedFixtures)
    func everyReadingCommandReportsEveryDamagedFixture(fixture: String, file: String) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture(fixture, into: temp)
        let before = snapshot(log)
        try expectEveryCommandReports(log, naming: file)
        #expect(snapshot(log) == before, "a reading command changed \(fixture)")
        // A writer cuts, removes or rewrites nothing of a damaged log. (A sealed
        // segment behind a valid index is trusted without being read, as
        // docs/format.md says, so flipped-bit's damage is only found by readers.)
        _ = try signallog(["ingest", log, "/dev/null"])
        let after = snapshot(log)
        for (name, bytes) in before {
            #expect(after[name] == bytes, "a writable open changed or removed \(name) of \(fixture)")
        }
    }

    @Test(arguments: ["basic", "small", "deleted-index", "torn-tail"])
    func undamagedFixturesReadCleanlyAndATornTailIsNoted(fixture: String) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture(fixture, into: temp)
        for arguments in [["cat", log], ["dlq", log, "list"], ["info", log], ["verify", log]] {
            let result = try signallog(arguments)
            #expect(result.status == 0, "\(arguments): \(result)")
        }
        let cat = try signallog(["cat", log])
        if fixture == "torn-tail" {
            #expect(cat.stderr.contains("00000000000000000156.seg ends in 267 bytes of an interrupted write"), "\(cat)")
        } else {
            #expect(cat.stderr.isEmpty, "\(cat)")
        }
    }

    @Test(arguments: HeaderDamage.allCases)
    func damagedActiveHeaderIsReportedByEveryReader(damage: HeaderDamage) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        try damage.apply(to: log + "/" + Self.active)
        try expectEveryCommandReports(log, naming: Self.active)
        // cat still prints every record before the damaged segment, and
        // whatever batches after the damaged header still check out, in order.
        let cat = try signallog(["cat", log, "-o", "ndjson"])
        let sequences = try cat.ndjson().compactMap { $0["sequence"] as? Int }
        #expect(Array(sequences.prefix(156)) == Array(0..<156), "\(cat)")
        #expect(sequences == sequences.sorted() && sequences.allSatisfy { $0 < 190 })
    }

    @Test(arguments: HeaderDamage.allCases)
    func writableOpenRefusesADamagedActiveHeaderAndChangesNothing(damage: HeaderDamage) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        try damage.apply(to: log + "/" + Self.active)
        let before = snapshot(log)
        let ingest = try signallog(["ingest", log, "/dev/null"])
        #expect(ingest.status != 0, "\(ingest)")
        #expect(ingest.stderr.contains(Self.active), "\(ingest)")
        var after = snapshot(log)
        after.removeValue(forKey: "LOCK")
        #expect(after == before, "a refused open changed the log")
    }

    @Test func emptiedActiveSegmentOfACleanlyClosedLogNeverReusesSequences() throws {
        let temp = TemporaryDirectory()
        let log = temp.child()
        try makeStorageLog(log, count: 111, batch: 10).close()
        let segment = log + "/00000000000000000000.seg", index = log + "/00000000000000000000.idx"
        try Data().write(to: URL(fileURLWithPath: segment))
        let before = snapshot(log)
        let ingest = try signallog(["ingest", log, "/dev/null"])
        #expect(ingest.status != 0, "\(ingest)")
        #expect(FileManager.default.fileExists(atPath: index), "the index describing 111 records was deleted")
        var after = snapshot(log)
        after.removeValue(forKey: "LOCK")
        var expected = before
        expected.removeValue(forKey: "LOCK")
        #expect(after == expected)
        // In the engine too: no writable open hands out sequence 0 again.
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: log) }
    }

    @Test func missingMiddleSegmentIsReportedByEveryReader() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        try FileManager.default.removeItem(atPath: log + "/00000000000000000073.seg")
        try FileManager.default.removeItem(atPath: log + "/00000000000000000073.idx")
        try expectEveryCommandReports(log, naming: "00000000000000000111.seg")
        let cat = try signallog(["cat", log, "-o", "ndjson"])
        let sequences = try cat.ndjson().compactMap { $0["sequence"] as? Int }
        #expect(sequences == Array(0..<73) + Array(111..<190), "\(cat.stderr)")
        #expect(cat.stderr.contains("73"), "the gap's sequences are named: \(cat.stderr)")
    }

    @Test func lastSegmentsDeletedWithAnIndexLeftBehindAreDamageForEveryCommand() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        // 111.seg and the active 156.seg are gone; 111.idx still describes 45 records.
        try FileManager.default.removeItem(atPath: log + "/00000000000000000111.seg")
        try FileManager.default.removeItem(atPath: log + "/00000000000000000156.seg")
        try expectEveryCommandReports(log, naming: "00000000000000000111.seg")
        let verify = try signallog(["verify", log, "--json"])
        let problems = try #require((try verify.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["code"] as? String == "sequence-gap" && $0["severity"] as? String == "error" }, "\(problems)")
    }

    /// Rewrites the first sequence of the batch at `offset` and its checksum:
    /// a batch that passes its CRC but breaks the sequence order.
    private func forgeFirstSequence(_ path: String, batchAt offset: Int, to sequence: UInt64) throws {
        var bytes = fileBytes(path)
        withUnsafeBytes(of: sequence.littleEndian) { for i in 0..<8 { bytes[offset + 16 + i] = $0[i] } }
        let stored = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self) })
        let crc = CRC32C.checksum(Array(bytes[(offset + 8)..<(offset + 48 + stored)]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[offset + 4 + i] = $0[i] } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test(arguments: ["00000000000000000000.seg", "00000000000000000156.seg"])
    func checksummedBatchWithAWrongSequenceIsDamage(segment: String) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let path = log + "/" + segment
        // The second batch of the segment claims to start 3 sequences later.
        let bytes = fileBytes(path)
        let firstStored = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 40 + 8, as: UInt32.self) })
        let second = 40 + 48 + firstStored
        let claimed = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: second + 16, as: UInt64.self) } + 3
        try forgeFirstSequence(path, batchAt: second, to: claimed)

        let cat = try signallog(["cat", log, "-o", "ndjson"])
        #expect(cat.status == 1, "\(cat)")
        #expect(cat.stderr.contains(segment), "\(cat)")
        let sequences = try cat.ndjson().compactMap { $0["sequence"] as? Int }
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "sequences out of order: \(sequences)")
        #expect(try signallog(["verify", log]).status == 1)
    }

    @Test func damagedProcessingLogIsNotShownHealthy() async throws {
        let temp = TemporaryDirectory()
        let fixture = try await makeSignalLog(temp.child(), signals: 30)
        let log = fixture.directory
        let healthy = try signallog(["dlq", log, "list", "-o", "json"])
        #expect(healthy.status == 0, "\(healthy)")
        #expect((try healthy.json() as? [Any])?.count == 2)
        let segments = fileNames(log).filter { $0.hasSuffix(".seg") }
        let last = try #require(segments.last)
        try Data().write(to: URL(fileURLWithPath: log + "/" + last))
        let dlq = try signallog(["dlq", log, "list"])
        #expect(dlq.status != 0, "\(dlq)")
        #expect(!dlq.stdout.contains("No unresolved dead letters"), "\(dlq)")
        #expect(dlq.stderr.contains(last), "\(dlq)")
        let info = try signallog(["info", log])
        #expect(info.status != 0, "\(info)")
        #expect(!Self.saysHealthy(info.stdout), "\(info)")
    }
}
