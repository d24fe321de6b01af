import SegmentLog

/// Random identifiers without a system call per id: a xoshiro256** generator
/// seeded once from the system's random source, behind a mutex.
enum SignalIDs {
    private static let generator = LockedValue(Xoshiro256(seededBy: SystemRandomNumberGenerator()))

    /// A random (version 4) UUID in lowercase text form.
    static func uuid() -> String {
        let (high, low) = generator.withLock { ($0.next(), $0.next()) }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = digits[Int(byte >> 4)]
                out[position + 1] = digits[Int(byte & 15)]
                position += 2
            }
            return position
        }
    }

    /// Eight hex digits derived from `text` (for ids without hex digits).
    static func hex8(of text: String) -> String {
        var hasher = FNV1a()
        hasher.add(text)
        let value = UInt32(truncatingIfNeeded: hasher.value)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}

struct Xoshiro256 {
    var state: (UInt64, UInt64, UInt64, UInt64)

    init(seededBy source: some RandomNumberGenerator) {
        var source = source
        state = (source.next(), source.next(), source.next(), source.next())
        if state == (0, 0, 0, 0) { state.0 = 1 }
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}
