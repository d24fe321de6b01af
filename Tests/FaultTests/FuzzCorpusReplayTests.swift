import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #10, in CI: every input kept in fixtures/fuzz-corpus/<target>/
/// (seeds from real logs plus what libFuzzer found interesting, minimized)
/// goes through the same entry points the fuzz targets call
/// (``FuzzHarness``): each must return without crashing and without
/// breaking an invariant.
@Suite("Fuzz corpus replay (reliability scenario #10)")
struct FuzzCorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/fuzz-corpus").standardized.path

    @Test(arguments: FuzzHarness.Target.allCases)
    func corpusReplaysCleanly(_ target: FuzzHarness.Target) throws {
        let directory = Self.corpus + "/" + target.rawValue
        let names = FileBytes.names(in: directory)
        try #require(!names.isEmpty, "no corpus in \(directory)")
        for name in names {
            if let violation = FuzzHarness.run(target, FileBytes.read(directory + "/" + name)) {
                Issue.record("\(target.rawValue)/\(name): \(violation)")
            }
        }
        print("[fuzz-corpus] \(target.rawValue): \(names.count) inputs replayed")
    }
}
