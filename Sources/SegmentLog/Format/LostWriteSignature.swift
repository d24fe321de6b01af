/// The rule that tells writes lost in a crash from damage, for unreadable
/// bytes of an active segment that are followed by a valid batch.
///
/// Storage that never received a write reads as zeros, so lost writes show
/// a zeroed batch header, zeros from the batch's start to its sector's end,
/// or a run of at least ``zeroRun`` zero bytes. Bit rot flips bits and does
/// not zero runs of bytes. A batch's own bytes can hold such a run (LZ4
/// skips ahead through data it cannot compress, the further the higher its
/// acceleration, and a raw body keeps a payload's zeros), so the writer
/// makes every batch that does durable before its append returns
/// (``holdsZeroRun(_:)``): the rule applies only after the durable point,
/// where no such batch lies. Anything else is damage.
package struct LostWriteSignature {
    package static let zeroRun = 64
    private var run = 0
    package private(set) var found = false

    package init() {}

    /// Whether `bytes` hold a run of ``zeroRun`` zero bytes. Such a run
    /// covers at least two offsets that are multiples of half its length,
    /// so only those offsets are read until two neighbours are both zero.
    package static func holdsZeroRun(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let stride = zeroRun / 2
        var probe = 0
        while probe + stride < bytes.count {
            if bytes[probe] == 0 && bytes[probe + stride] == 0 {
                // Measure the zeros around the two probes.
                var start = probe
                while start > 0 && bytes[start - 1] == 0 { start -= 1 }
                var end = probe
                while end < bytes.count && bytes[end] == 0 { end += 1 }
                if end - start >= zeroRun { return true }
                probe = end
                continue
            }
            probe += stride
        }
        return false
    }

    /// Disks write whole sectors; the rule reasons about them.
    package static let sectorSize: Int64 = 512

    /// Feeds the unreadable bytes in order; `found` turns true once the
    /// signature appears. `startOffset` is the file offset of the first byte
    /// when these are the bytes where the failed batch began.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer, startOffset: Int64? = nil) {
        if let startOffset, bytes.count > 0 {
            // A zeroed header, or zeros from the batch's start to the end of its
            // first sector (that sector was lost; a batch starts with its magic,
            // which no single bit flip turns into zeros).
            let toBoundary = Int(Self.sectorSize - startOffset % Self.sectorSize)
            if bytes.prefix(8).allSatisfy({ $0 == 0 }) { found = true }
            if bytes.count >= toBoundary, bytes.prefix(toBoundary).allSatisfy({ $0 == 0 }) { found = true }
        }
        for byte in bytes where !found {
            run = byte == 0 ? run + 1 : 0
            if run >= Self.zeroRun { found = true }
        }
    }
}
