/// Little-endian loads and stores over raw memory: the only place the
/// encoders and decoders touch pointers directly.
extension UnsafeMutableRawPointer {
    @inline(__always)
    func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

extension UnsafeRawBufferPointer {
    /// Loads a little-endian integer; the caller has checked `offset + size <= count`.
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count, "read past a checked bound")
        return T(littleEndian: baseAddress!.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// A growable byte buffer reused across appends, so the hot path allocates
/// only when a batch is larger than any before it.
package final class GrowableBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count: Int = 0

    package init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 64)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more bytes after `count`.
    @inline(__always)
    func reserve(_ extra: Int) {
        let needed = count + extra
        if needed > capacity { grow(to: needed) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Releases memory after an unusually large batch.
    func shrink(to limit: Int) {
        guard capacity > limit, count <= limit else { return }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: limit, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = limit
    }

    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Runs `body` inside a standard-library closure API that only `rethrows`,
/// keeping the engine's typed ``SegmentLogError``.
@inline(__always)
func typed<R>(_ body: () throws(SegmentLogError) -> R) -> Result<R, SegmentLogError> {
    do throws(SegmentLogError) { return .success(try body()) } catch { return .failure(error) }
}

extension Array where Element == UInt8 {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(SegmentLogError) -> R) throws(SegmentLogError) -> R {
        try withUnsafeBytes { buffer in typed { () throws(SegmentLogError) in try body(buffer) } }.get()
    }

    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(SegmentLogError) -> R) throws(SegmentLogError) -> R {
        try withUnsafeMutableBytes { buffer in typed { () throws(SegmentLogError) in try body(buffer) } }.get()
    }
}
