/// libFuzzer entry point: the import line decoder, fast path against the
/// reference path, and the fast JSON reader against the reference parser
/// (see SignalLineFuzzHarness).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignalLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let violation = SignalLineFuzzHarness.run(input) { fatalError("signal line invariant broken: \(violation)") }
    return 0
}
