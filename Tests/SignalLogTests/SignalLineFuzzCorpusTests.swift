import Foundation
import Testing
@testable import SignalLog

/// The kept corpus of the `signal-line` fuzz target
/// (fixtures/fuzz-corpus/signal-line: seeds of every line form, inputs
/// libFuzzer found that reach new code, and past failures) goes through
/// the same checks the target makes (``SignalLineFuzzHarness``): the fast
/// and reference paths of the line decoder and of JSON reading agree.
@Suite("Signal line fuzz corpus replay")
struct SignalLineFuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/fuzz-corpus/signal-line").standardized.path

    @Test func corpusReplaysCleanly() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted()
        try #require(names.count > 10, "no corpus in \(Self.corpus)")
        for name in names {
            let input = try #require(FileManager.default.contents(atPath: Self.corpus + "/" + name), "\(name) unreadable")
            if let violation = SignalLineFuzzHarness.run(Array(input)) {
                Issue.record("signal-line/\(name): \(violation)")
            }
        }
        print("[fuzz-corpus] signal-line: \(names.count) inputs replayed")
    }
}
