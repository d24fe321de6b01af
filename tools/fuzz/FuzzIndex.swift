/// libFuzzer entry point: the index file parser (see FuzzHarness.index).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndex(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let violation = FuzzHarness.run(.index, input) { fatalError("index invariant broken: \(violation)") }
    return 0
}
