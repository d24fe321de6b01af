import Synchronization
import Testing
@testable import SegmentLog

/// The appender asks the kernel to start writeback of each whole
/// `writebackIntervalBytes` chunk of the active segment once written.
@Suite struct WritebackTests {
    /// Forwards to the real file system and records every writeback hint.
    final class RecordingFileSystem: LogFileSystem {
        let real = PosixFileSystem()
        let hints = Mutex<[(path: String, offset: Int64, length: Int64)]>([])

        final class File: LogFile {
            let file: any LogFile
            let owner: RecordingFileSystem
            init(_ file: any LogFile, owner: RecordingFileSystem) {
                self.file = file
                self.owner = owner
            }
            var path: String { file.path }
            func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int {
                try file.read(into: buffer, at: offset)
            }
            func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) { try file.write(bytes, at: offset) }
            func sync() throws(SegmentLogError) { try file.sync() }
            func truncate(to length: Int64) throws(SegmentLogError) { try file.truncate(to: length) }
            func size() throws(SegmentLogError) -> Int64 { try file.size() }
            func startWriteback(offset: Int64, length: Int64) {
                owner.hints.withLock { $0.append((file.path, offset, length)) }
                file.startWriteback(offset: offset, length: length)
            }
        }

        func open(_ path: String, mode: FileOpenMode) throws(SegmentLogError) -> any LogFile {
            File(try real.open(path, mode: mode), owner: self)
        }
        func createDirectory(_ path: String) throws(SegmentLogError) { try real.createDirectory(path) }
        func list(_ path: String) throws(SegmentLogError) -> [DirectoryEntry] { try real.list(path) }
        func rename(_ from: String, to: String) throws(SegmentLogError) { try real.rename(from, to: to) }
        func remove(_ path: String) throws(SegmentLogError) { try real.remove(path) }
        func syncDirectory(_ path: String) throws(SegmentLogError) { try real.syncDirectory(path) }
        func lockExclusive(_ path: String) throws(SegmentLogError) -> any LogFile { try real.lockExclusive(path) }
    }

    static let chunk: Int64 = 64 << 10

    /// Appends batches of assorted sizes (some larger than a chunk) and
    /// returns the recorded hints with the log's segments.
    func appendAssorted(interval: Int64, segmentMaxBytes: Int64) throws -> (RecordingFileSystem, [SegmentInfo], TemporaryDirectory) {
        let directory = TemporaryDirectory()
        let fileSystem = RecordingFileSystem()
        let log = try SegmentLog.open(directory: directory.child(), options: options(segmentMaxBytes: segmentMaxBytes) {
            $0.fileSystem = fileSystem
            $0.writebackIntervalBytes = interval
            $0.compressionAcceleration = 1
        })
        var generator = SeededGenerator(seed: 7)
        for round in 0..<120 {
            let count = Int.random(in: 1...40, using: &generator)
            let size = round % 17 == 0 ? 90_000 : Int.random(in: 10...3_000, using: &generator)
            try log.append((0..<count).map { AppendRecord(kind: 1, partition: "p\($0 % 3)", payload: payload(round * 100 + $0, size: size)) })
        }
        let segments = log.segments()
        try log.close()
        return (fileSystem, segments, directory)
    }

    @Test func everyWholeChunkOfEverySegmentIsHintedOnceInOrder() throws {
        let (fileSystem, segments, directory) = try appendAssorted(interval: Self.chunk, segmentMaxBytes: 1 << 20)
        _ = directory
        #expect(segments.count > 2, "the test needs rotations")
        let hints = fileSystem.hints.withLock { $0 }
        for segment in segments {
            let mine = hints.filter { $0.path == segment.path }
            var next: Int64 = 0
            for hint in mine {
                #expect(hint.offset == next, "\(segment.path): hint at \(hint.offset), expected \(next)")
                #expect(hint.length > 0 && hint.length % Self.chunk == 0)
                next = hint.offset + hint.length
            }
            // Everything but the last partial chunk was hinted, nothing past the end.
            #expect(next == segment.fileBytes / Self.chunk * Self.chunk, "\(segment.path): hinted up to \(next) of \(segment.fileBytes)")
        }
        #expect(Set(hints.map(\.path)).isSubset(of: Set(segments.map(\.path))), "hints only for segments")
    }

    @Test func zeroTurnsHintsOff() throws {
        let (fileSystem, segments, directory) = try appendAssorted(interval: 0, segmentMaxBytes: 1 << 20)
        _ = directory
        #expect(segments.count > 2)
        #expect(fileSystem.hints.withLock { $0.isEmpty })
    }

    @Test func hintsChangeNothingThatIsRead() throws {
        let (_, segments, directory) = try appendAssorted(interval: 4096, segmentMaxBytes: 1 << 20)
        let log = try SegmentLog.openReadOnly(directory: directory.child())
        defer { try? log.close() }
        let records = try readAll(log)
        #expect(UInt64(records.count) == segments.reduce(0) { $0 + $1.recordCount })
        #expect(records.enumerated().allSatisfy { UInt64($0.offset) == $0.element.sequence })
    }
}
