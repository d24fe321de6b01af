/// A fast, seeded 64-bit hash of bytes for in-memory tables (the segment
/// index's partitions, the processing layer's dedupe keys). Never store a
/// hash made with the process's seed: it is chosen once per process, so that keys cannot be picked to
/// collide on every machine (the reason Swift seeds its own hashing).
///
/// Eight-byte words are folded into the state through full-width multiplies
/// (the high half of the product xor the low half); a tail shorter than a
/// word is read as the last eight bytes, overlapping words already folded.
package enum ByteHash {
    private static let seed = UInt64.random(in: .min ... .max)

    /// The hash of `text`'s UTF-8 bytes.
    package static func hash(_ text: String) -> UInt64 {
        text.utf8.withContiguousStorageIfAvailable { hash(UnsafeRawBufferPointer($0)) } ?? Array(text.utf8).withUnsafeBytes { hash($0) }
    }

    /// The hash of `bytes`.
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        hash(bytes, seed: seed)
    }

    /// The hash of `text`'s UTF-8 bytes under a seed of the caller's: for
    /// tables whose hashes are stored with their own seed (the processing
    /// layer's dedupe snapshot), so another process can compute them again.
    package static func hash(_ text: String, seed: UInt64) -> UInt64 {
        text.utf8.withContiguousStorageIfAvailable { hash(UnsafeRawBufferPointer($0), seed: seed) }
            ?? Array(text.utf8).withUnsafeBytes { hash($0, seed: seed) }
    }

    /// The hash of `bytes` under `seed`.
    package static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var state = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while bytes.count - offset >= 8 {
            state = fold(state ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self), 0xC2B2_AE3D_27D4_EB4F)
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            if bytes.count >= 8 {
                tail = bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)
            } else {
                for i in offset..<bytes.count { tail |= UInt64(bytes[i]) << (8 * UInt64(i - offset)) }
            }
            state = fold(state ^ tail, 0x1656_67B1_9E37_79F9)
        }
        return fold(state, 0x85EB_CA77_C2B2_AE63)
    }

    /// `hash` mixed with `seed` so that every bit of the result depends on
    /// every bit of both (for tables that bring their own per-table seed).
    @inline(__always)
    package static func spread(_ hash: UInt64, seed: UInt64) -> UInt64 {
        fold(hash ^ seed, 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
