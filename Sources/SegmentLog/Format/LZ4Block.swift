import CLZ4

/// The LZ4 block format: one call compresses a whole batch of records.
///
/// The block format does not record sizes, so callers store the uncompressed
/// length themselves and ``decompress(_:into:)`` demands an exact match.
enum LZ4Block {
    /// The largest output `compress` can produce for `count` input bytes.
    static func compressBound(_ count: Int) -> Int {
        Int(LZ4_compressBound(Int32(count)))
    }

    /// Accelerations `compress` accepts: 1 is LZ4's default; each step up
    /// trades a little compression for speed (liblz4 caps it at 65,537).
    static let accelerations: ClosedRange<Int> = 1...65_537

    /// Compresses `source` into `destination`; returns the compressed size,
    /// or nil when it does not fit (the caller then stores the bytes raw).
    /// The output is an ordinary LZ4 block whatever the `acceleration`.
    static func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, acceleration: Int = 1) -> Int? {
        guard let src = source.baseAddress, let dst = destination.baseAddress,
              source.count <= Int(Int32.max), destination.count <= Int(Int32.max) else { return nil }
        let written = LZ4_compress_fast(
            src.assumingMemoryBound(to: CChar.self),
            dst.assumingMemoryBound(to: CChar.self),
            Int32(source.count), Int32(destination.count), Int32(accelerations.clamped(acceleration)))
        return written > 0 ? Int(written) : nil
    }

    /// Decompresses `source` into `destination`, which must be exactly the
    /// recorded uncompressed size. Returns false for corrupt input or a size mismatch.
    static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Bool {
        if destination.count == 0 { return source.count == 1 && source[0] == 0 }
        guard let src = source.baseAddress, let dst = destination.baseAddress,
              source.count <= Int(Int32.max), destination.count <= Int(Int32.max) else { return false }
        let produced = LZ4_decompress_safe(
            src.assumingMemoryBound(to: CChar.self),
            dst.assumingMemoryBound(to: CChar.self),
            Int32(source.count), Int32(destination.count))
        return produced >= 0 && Int(produced) == destination.count
    }
}

/// A compression context kept for a writer's lifetime.
///
/// `LZ4_compress_fast` clears a 16 KiB hash table on every call: for a
/// one-record batch of a few hundred bytes that clearing costs more than the
/// compression. Small inputs are compressed instead through a stream reset
/// with `LZ4_resetStream_fast`, which moves past the table's old entries
/// rather than clearing them; the first block after a reset refers to no
/// earlier data, so it is an ordinary independent LZ4 block like the others.
final class LZ4Compressor {
    /// Inputs at least this long take `LZ4_compress_fast`: the clearing is
    /// amortised, and a clean table finds matches slightly faster.
    static let streamLimit = 4096

    private let stream: UnsafeMutablePointer<LZ4_stream_t>
    let acceleration: Int
    /// Inputs shorter than this go through the stream.
    private let streamBelow: Int

    /// `usesStream: false` compresses everything with `LZ4_compress_fast`
    /// (bytes as written before the stream existed).
    init(acceleration: Int, usesStream: Bool = true) {
        guard let stream = LZ4_createStream() else { fatalError("liblz4 could not allocate a compression stream") }
        self.stream = stream
        self.acceleration = acceleration
        streamBelow = usesStream ? Self.streamLimit : 0
    }

    deinit { LZ4_freeStream(stream) }

    /// Compresses `source` into `destination`; returns the compressed size,
    /// or nil when it does not fit (the caller then stores the bytes raw).
    func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard source.count < streamBelow else {
            return LZ4Block.compress(source, into: destination, acceleration: acceleration)
        }
        guard let src = source.baseAddress, let dst = destination.baseAddress,
              destination.count <= Int(Int32.max) else { return nil }
        LZ4_resetStream_fast(stream)
        let written = LZ4_compress_fast_continue(
            stream, src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
            Int32(source.count), Int32(destination.count), Int32(LZ4Block.accelerations.clamped(acceleration)))
        return written > 0 ? Int(written) : nil
    }
}

extension ClosedRange where Bound == Int {
    /// `value` moved into the range.
    func clamped(_ value: Int) -> Int { Swift.min(Swift.max(value, lowerBound), upperBound) }
}
