import DequeModule
import SegmentLog

/// Why a dedupe snapshot was not used (the node then rebuilds the window
/// from the log and says so in ``StartupReport/dedupeSnapshotProblem``).
public enum DedupeSnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// There is no snapshot file.
    case missing
    /// The file is damaged: `reason` at byte `offset` of `path`.
    case damaged(path: String, offset: Int64, reason: String)
    /// The file is intact but does not describe this log as it is now.
    case stale(path: String, reason: String)
    /// The file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing: "no dedupe snapshot"
        case let .damaged(path, offset, reason): "dedupe snapshot \(path) is damaged at offset \(offset): \(reason)"
        case let .stale(path, reason): "dedupe snapshot \(path) does not match the log: \(reason)"
        case let .io(path, reason): "dedupe snapshot \(path): \(reason)"
        }
    }
}

/// The dedupe store saved beside the log at a checkpoint, so that opening
/// the log reads it and the records after it instead of every signal
/// within the TTL (docs/format.md, "Dedupe snapshot"). It is derived data:
/// any doubt about it (missing, damaged, for another marker or a longer
/// TTL) makes the node rebuild the window from the log.
struct DedupeSnapshot {
    static let fileName = "dedupe.snapshot"
    /// "SLDEDUP1" read as a little-endian UInt64.
    static let magic: UInt64 = 0x3150_5544_4544_4C53
    static let version: UInt16 = 1
    static let headerSize = 80
    static let sliceSize = 40
    /// Largest shard a snapshot may describe (slots).
    static let maximumShardCapacity = 1 << 28

    /// The marker the snapshot was written with: it holds every key whose
    /// signal record comes before this sequence.
    var markerSequence: UInt64
    var markerTime: Int64
    var store: DedupeSet

    /// Writes `store` as the snapshot of the marker at `markerSequence`
    /// (crash-safe: a temporary file, synced, renamed into place).
    static func write(_ store: DedupeSet, markerSequence: UInt64, markerTime: Int64, to log: SegmentLog) throws {
        try log.writeDerivedFile(fileName) { file in
            var writer = ChunkWriter(file: file)
            var header = ByteWriter(capacity: headerSize)
            header.u64(magic)
            header.u64(UInt64(version))
            header.u64(UInt64(DedupeTable.shardCount))
            header.u64(store.seed)
            header.i64(store.ttl)
            header.u64(markerSequence)
            header.i64(markerTime)
            header.u64(store.horizon)
            header.u64(store.reference)
            header.u64(UInt64(store.slices.count))
            for slice in store.slices {
                header.u64(slice.firstSequence)
                header.u64(slice.endSequence)
                header.u64(UInt64(slice.count))
                header.i64(slice.firstTime)
                header.i64(slice.lastTime)
            }
            for shard in store.table.shards { header.u64(UInt64(shard.count)) }
            try writer.write(header.bytes)
            for shard in store.table.shards {
                try shard.withUnsafeBytes { try writer.write($0) }
            }
            try writer.finish()
        }
    }

    /// Reads the snapshot of `log` for a store with `ttl` and `maxKeys`,
    /// checking its checksum, every count against the file, and that the
    /// marker it names is in the log with the same time. Without
    /// `keepingSlots` the slots are checked but not kept (the store then has
    /// its slices only: enough to count keys, not to look them up).
    static func read(from log: SegmentLog, ttl: Int64, maxKeys: Int, keepingSlots: Bool = true) -> Result<DedupeSnapshot, DedupeSnapshotError> {
        let path = log.directory + "/" + fileName
        let file: any LogFile
        do {
            guard let opened = try log.openDerivedFile(fileName) else { return .failure(.missing) }
            file = opened
        } catch {
            return .failure(.io(path: path, reason: "\(error)"))
        }
        do {
            var reader = ChunkReader(file: file, path: path, size: try file.size())
            let fixed = try reader.read(headerSize)
            var header = ByteReader(fixed)
            guard try header.u64("magic") == magic else { throw DedupeSnapshotError.damaged(path: path, offset: 0, reason: "not a dedupe snapshot (bad magic)") }
            let version = try header.u64("version")
            guard version == UInt64(Self.version) else { throw DedupeSnapshotError.damaged(path: path, offset: 8, reason: "unsupported version \(version)") }
            let shards = try header.u64("shard_count")
            guard shards == UInt64(DedupeTable.shardCount) else {
                throw DedupeSnapshotError.damaged(path: path, offset: 16, reason: "shard count \(shards), expected \(DedupeTable.shardCount)")
            }
            let seed = try header.u64("seed")
            let storedTTL = try header.i64("ttl")
            let markerSequence = try header.u64("marker_sequence")
            let markerTime = try header.i64("marker_time")
            let horizon = try header.u64("horizon")
            let reference = try header.u64("reference")
            let rawSliceCount = try header.u64("slice_count")
            guard rawSliceCount <= UInt64(reader.size) / UInt64(sliceSize) else {
                throw DedupeSnapshotError.damaged(path: path, offset: 72, reason: "slice count \(rawSliceCount) exceeds the file")
            }
            let sliceCount = Int(rawSliceCount)
            guard Int64(sliceCount) * Int64(sliceSize) + Int64(headerSize) <= reader.size else {
                throw DedupeSnapshotError.damaged(path: path, offset: 72, reason: "slice count \(sliceCount) exceeds the file")
            }
            var slices: Deque<DedupeSet.Slice> = []
            var sliceBytes = ByteReader(try reader.read(sliceCount * sliceSize + DedupeTable.shardCount * 8))
            for _ in 0..<sliceCount {
                slices.append(DedupeSet.Slice(firstSequence: try sliceBytes.u64("first_sequence"), endSequence: try sliceBytes.u64("end_sequence"),
                                              count: Int(clamping: try sliceBytes.u64("count")), firstTime: try sliceBytes.i64("first_time"),
                                              lastTime: try sliceBytes.i64("last_time")))
            }
            var capacities: [Int] = []
            var slots: Int64 = 0
            for number in 0..<DedupeTable.shardCount {
                let rawCapacity = try sliceBytes.u64("capacity")
                let capacity = Int(clamping: rawCapacity)
                guard capacity >= DedupeTable.minimumCapacity, capacity <= maximumShardCapacity, capacity.nonzeroBitCount == 1 else {
                    throw DedupeSnapshotError.damaged(path: path, offset: Int64(headerSize + sliceCount * sliceSize + number * 8),
                                                      reason: "shard \(number) capacity \(capacity) is not a power of two between \(DedupeTable.minimumCapacity) and \(maximumShardCapacity)")
                }
                capacities.append(capacity)
                slots += Int64(capacity)
            }
            let expected = Int64(headerSize + sliceCount * sliceSize + DedupeTable.shardCount * 8) + slots * 8 + 8
            guard expected == reader.size else {
                throw DedupeSnapshotError.damaged(path: path, offset: reader.size, reason: "file is \(reader.size) bytes, its counts make \(expected)")
            }
            var tables: [[UInt64]] = []
            tables.reserveCapacity(capacities.count)
            var scratch: [UInt64] = []
            for capacity in capacities {
                if keepingSlots {
                    var shard = [UInt64](repeating: 0, count: capacity)
                    try shard.withUnsafeMutableBytes { try reader.read(into: $0) }
                    tables.append(shard)
                    continue
                }
                var left = capacity
                while left > 0 {
                    let piece = min(left, 1 << 17)
                    if scratch.count != piece { scratch = [UInt64](repeating: 0, count: piece) }
                    try scratch.withUnsafeMutableBytes { try reader.read(into: $0) }
                    left -= piece
                }
                tables.append([UInt64](repeating: 0, count: DedupeTable.minimumCapacity))
            }
            let computed = reader.checksum
            var trailer = ByteReader(try reader.read(8))
            let stored = try trailer.u64("checksum")
            guard stored == UInt64(computed) else {
                throw DedupeSnapshotError.damaged(path: path, offset: reader.size - 8, reason: "checksum \(stored) does not match the contents (\(computed))")
            }
            guard let table = DedupeTable(shards: tables) else {
                throw DedupeSnapshotError.damaged(path: path, offset: Int64(headerSize), reason: "a shard is not a power of two")
            }
            guard storedTTL >= ttl else {
                throw DedupeSnapshotError.stale(path: path, reason: "written for a TTL of \(storedTTL) µs, shorter than \(ttl) µs")
            }
            guard markerSequence >= log.firstSequence, markerSequence < log.nextSequence, reference <= markerSequence else {
                throw DedupeSnapshotError.stale(path: path, reason: "marker sequence \(markerSequence) is not in the log (\(log.firstSequence)..<\(log.nextSequence))")
            }
            let markerReader = log.read(LogQuery(fromSequence: markerSequence, throughSequence: markerSequence, kinds: [SignalRecordKind.marker.rawValue]))
            guard let record = try markerReader.next(), record.sequence == markerSequence,
                  (try? MarkerRecord.decode(record.payload))?.time == markerTime else {
                throw DedupeSnapshotError.stale(path: path, reason: "record \(markerSequence) is not the marker of \(markerTime) it was written with")
            }
            let store = DedupeSet(ttl: ttl, maxKeys: maxKeys, seed: seed, table: table, slices: slices, horizon: horizon, reference: reference)
            return .success(DedupeSnapshot(markerSequence: markerSequence, markerTime: markerTime, store: store))
        } catch let error as DedupeSnapshotError {
            return .failure(error)
        } catch let error as SignalRecordError {
            return .failure(.damaged(path: path, offset: 0, reason: error.description))
        } catch {
            return .failure(.io(path: path, reason: "\(error)"))
        }
    }
}

/// Writes a file in 1 MiB pieces, keeping a CRC-32C of everything written,
/// and ends it with that checksum.
private struct ChunkWriter {
    let file: any LogFile
    var offset: Int64 = 0
    var checksum: UInt32 = 0

    mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count {
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + (1 << 20))])
            checksum = CRC32C.checksum(piece, continuing: checksum)
            try file.write(piece, at: offset)
            offset += Int64(piece.count)
            start += piece.count
        }
    }

    mutating func finish() throws {
        var trailer = ByteWriter(capacity: 8)
        trailer.u64(UInt64(checksum))
        try trailer.bytes.withUnsafeBytes { try file.write($0, at: offset) }
    }
}

/// Reads a file front to back, keeping a CRC-32C of everything read.
private struct ChunkReader {
    let file: any LogFile
    let path: String
    let size: Int64
    var offset: Int64 = 0
    var checksum: UInt32 = 0

    init(file: any LogFile, path: String, size: Int64) {
        self.file = file
        self.path = path
        self.size = size
    }

    mutating func read(_ count: Int) throws -> [UInt8] {
        guard Int64(count) <= size - offset else {
            throw DedupeSnapshotError.damaged(path: path, offset: offset, reason: "file ends \(size - offset) bytes after this offset, \(count) needed")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(into: $0) }
        return bytes
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard Int64(buffer.count) <= size - offset else {
            throw DedupeSnapshotError.damaged(path: path, offset: offset, reason: "file ends \(size - offset) bytes after this offset, \(buffer.count) needed")
        }
        var done = 0
        while done < buffer.count {
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + Int64(done))
            guard got > 0 else { throw DedupeSnapshotError.damaged(path: path, offset: offset + Int64(done), reason: "file shrank while being read") }
            done += got
        }
        checksum = CRC32C.checksum(UnsafeRawBufferPointer(buffer), continuing: checksum)
        offset += Int64(buffer.count)
    }
}
