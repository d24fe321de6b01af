import Testing
@testable import SegmentLog

/// The writer's reusable compression context must produce blocks that
/// decode on their own, whatever it compressed before.
@Suite struct LZ4CompressorTests {
    func roundTrip(_ compressor: LZ4Compressor, _ input: [UInt8]) -> [UInt8]? {
        var compressed = [UInt8](repeating: 0, count: LZ4Block.compressBound(input.count))
        let size = input.withUnsafeBytes { source in
            compressed.withUnsafeMutableBytes { compressor.compress(source, into: $0) }
        }
        guard let size else { return nil }
        var output = [UInt8](repeating: 0, count: input.count)
        let ok = compressed.withUnsafeBytes { block in
            output.withUnsafeMutableBytes { LZ4Block.decompress(UnsafeRawBufferPointer(rebasing: block[..<size]), into: $0) }
        }
        return ok ? output : nil
    }

    /// Each block repeats most of the one before: a block that leaned on
    /// its predecessor would not decode alone.
    @Test(arguments: [1, 4, 65_537])
    func smallBlocksDecodeAlone(acceleration: Int) {
        let compressor = LZ4Compressor(acceleration: acceleration)
        let base = payload(3, size: 3_000)
        for round in 0..<300 {
            var input = Array(base[(round % 50)..<(round % 50 + 200 + round * 9)])
            input[0] = UInt8(truncatingIfNeeded: round)
            #expect(roundTrip(compressor, input) == input, "round \(round), \(input.count) bytes")
        }
    }

    @Test func largeAndEdgeSizesStillRoundTrip() {
        let compressor = LZ4Compressor(acceleration: 4)
        for size in [0, 1, 12, LZ4Compressor.streamLimit - 1, LZ4Compressor.streamLimit, 200_000] {
            let input = payload(size, size: size)
            // Empty input too: a one-byte block that decodes to nothing.
            #expect(roundTrip(compressor, input) == input, "\(size) bytes")
        }
    }

    /// Far more small blocks than fit before the stream's internal offset
    /// wraps (it clears its table past 1 GiB of input).
    @Test func manyBlocksPastTheStreamOffsetLimit() {
        let compressor = LZ4Compressor(acceleration: 1)
        let input = payload(9, size: 4_000)
        // Each reset advances the offset by 64 KiB plus the input: 17,000
        // blocks pass 1 GiB.
        for round in 0..<17_000 {
            if round % 997 == 0 || round > 16_900 {
                #expect(roundTrip(compressor, input) == input, "block \(round)")
            } else {
                _ = roundTrip(compressor, input)
            }
        }
    }

    /// Without the stream, blocks are exactly what `LZ4_compress_fast` writes
    /// (the fixture generator relies on it).
    @Test func withoutTheStreamBytesMatchAFreshTable() {
        let compressor = LZ4Compressor(acceleration: 1, usesStream: false)
        for size in [40, 300, 3_000] {
            let input = payload(size + 1, size: size)
            var ours = [UInt8](repeating: 0, count: LZ4Block.compressBound(size))
            var fresh = ours
            let a = input.withUnsafeBytes { source in ours.withUnsafeMutableBytes { compressor.compress(source, into: $0) } }
            let b = input.withUnsafeBytes { source in fresh.withUnsafeMutableBytes { LZ4Block.compress(source, into: $0, acceleration: 1) } }
            #expect(a != nil && a == b && ours == fresh, "\(size) bytes")
        }
    }
}
