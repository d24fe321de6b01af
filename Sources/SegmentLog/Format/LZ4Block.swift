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

extension ClosedRange where Bound == Int {
    /// `value` moved into the range.
    func clamped(_ value: Int) -> Int { Swift.min(Swift.max(value, lowerBound), upperBound) }
}
