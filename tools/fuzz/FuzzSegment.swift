/// libFuzzer entry point: the segment scanner and reader (see FuzzHarness.segment).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let violation = FuzzHarness.run(.segment, input) { fatalError("segment invariant broken: \(violation)") }
    return 0
}
