import Foundation
import SegmentLog
import Testing

@Suite("follow and demo")
struct FollowAndDemoTests {
    @Test func followPrintsRecordsAsAWriterAppends() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        var options = LogOptions()
        options.segmentMaxBytes = 4096
        let writer = try SegmentLog.open(directory: path, options: options)
        defer { try? writer.close() }
        try writer.append(kind: 9, partition: "a", payload: Array("first".utf8))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: signallogPath)
        process.arguments = ["cat", path, "--follow", "-o", "ndjson", "--partition", "a"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }

        var received = ""
        func waitForLines(_ count: Int) -> [String] {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let lines = received.split(separator: "\n")
                if lines.count >= count { return lines.map(String.init) }
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                received += String(decoding: data, as: UTF8.self)
            }
            return received.split(separator: "\n").map(String.init)
        }
        #expect(waitForLines(1).count == 1)
        // Enough records to rotate the 4 KiB segments several times, in two partitions.
        var generator = SystemRandomNumberGenerator()
        for i in 0..<60 {
            let noise = (0..<150).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try writer.append([AppendRecord(kind: 9, partition: "a", payload: Array("a-\(i) ".utf8) + noise),
                               AppendRecord(kind: 9, partition: "b", payload: Array("b-\(i)".utf8))])
        }
        let lines = waitForLines(61)
        #expect(lines.count == 61)
        let sequences = lines.compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["sequence"] as? Int
        }
        #expect(sequences == [0] + (0..<60).map { 1 + 2 * $0 }, "partition a only, in order, across rotations")
        #expect(writer.segments().count > 2)
    }

    @Test func demoWalksThroughTheTenFeatures() throws {
        let temp = TemporaryDirectory()
        let directory = temp.child("demo")
        let result = try signallog(["demo", directory, "--no-color"])
        #expect(result.status == 0, "\(result)")
        for number in 1...10 {
            #expect(result.stdout.contains("\n\(number). "), "step \(number)")
        }
        #expect(result.stdout.contains("duplicate of"))
        #expect(result.stdout.contains("conflict"))
        #expect(result.stdout.contains("circuit_open"))
        #expect(result.stdout.contains("unsupported_schema_version"))
        #expect(result.stdout.contains("$ signallog verify"))
        #expect(result.stdout.contains("Result: clean"))
        #expect(!result.stdout.contains("\u{1B}["))
        let again = try signallog(["demo", directory])
        #expect(again.status == 2)
        expectOneLineError(again, containing: "--reset")
        #expect(try signallog(["demo", directory, "--reset", "--no-color"]).status == 0)
    }

    @Test func demoRefusesADirectoryThatIsNotItsOwn() throws {
        let temp = TemporaryDirectory()
        let other = temp.child("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: other + "/notes.txt"))
        let refused = try signallog(["demo", other, "--reset"])
        #expect(refused.status == 2)
        expectOneLineError(refused, containing: "is not a demo directory")
        #expect(FileManager.default.fileExists(atPath: other + "/notes.txt"))

        let file = temp.child("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let notDirectory = try signallog(["demo", file])
        #expect(notDirectory.status == 2)
        expectOneLineError(notDirectory, containing: "is not a directory")
    }
}
