import Testing
@testable import SegmentLog

/// The in-memory table hash: equal bytes hash equal, and the cases a
/// word-at-a-time hash is prone to get wrong (lengths, tails, zero bytes)
/// still tell inputs apart.
@Suite struct ByteHashTests {
    func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { ByteHash.hash($0) } }

    @Test func stringsHashAsTheirUTF8Bytes() {
        for text in ["", "a", "partition-7", "größe-🚦", String(repeating: "x", count: 100)] {
            #expect(ByteHash.hash(text) == hash(Array(text.utf8)), "\(text)")
            #expect(ByteHash.hash(text) == ByteHash.hash(String(text)), "\(text)")
        }
    }

    @Test func everyPrefixLengthHashesDifferently() {
        let bytes = payload(5, size: 80)
        let hashes = (0...bytes.count).map { hash(Array(bytes[..<$0])) }
        #expect(Set(hashes).count == hashes.count)
        // Trailing zero bytes are not lost in a partly filled last word.
        let zeros = (0...24).map { hash([UInt8](repeating: 0, count: $0)) }
        #expect(Set(zeros).count == zeros.count)
    }

    @Test func flippingAnyBitChangesTheHash() {
        for size in [1, 7, 8, 9, 15, 16, 17, 31, 33] {
            let bytes = payload(size, size: size)
            let original = hash(bytes)
            for position in 0..<size {
                for bit in 0..<8 {
                    var flipped = bytes
                    flipped[position] ^= UInt8(1) << UInt8(bit)
                    #expect(hash(flipped) != original, "size \(size), byte \(position), bit \(bit)")
                }
            }
        }
    }
}
