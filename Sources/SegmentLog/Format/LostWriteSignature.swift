/// The rule that tells writes lost in a crash from damage, for unreadable
/// bytes of an active segment that are followed by a valid batch.
///
/// Storage that never received a write reads as zeros, so lost writes show
/// a zeroed batch header or a run of at least ``zeroRun`` zero bytes. Bit
/// rot flips bits and does not zero runs of bytes, LZ4 output never holds
/// such a run (zeros compress to a short match), and a batch is stored raw
/// only when it does not compress. Anything else is damage.
package struct LostWriteSignature {
    package static let zeroRun = 64
    private var run = 0
    package private(set) var found = false

    package init() {}

    /// Feeds the unreadable bytes in order; `found` turns true once the
    /// signature appears. `isStart` marks the bytes where the failed batch began.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer, isStart: Bool = false) {
        if isStart, bytes.count > 0, bytes.prefix(8).allSatisfy({ $0 == 0 }) { found = true }
        for byte in bytes where !found {
            run = byte == 0 ? run + 1 : 0
            if run >= Self.zeroRun { found = true }
        }
    }
}
