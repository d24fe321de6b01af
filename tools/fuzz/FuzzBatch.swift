/// libFuzzer entry point: batch headers, LZ4 and the record decoder (see FuzzHarness.batch).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let violation = FuzzHarness.run(.batch, input) { fatalError("batch invariant broken: \(violation)") }
    return 0
}
