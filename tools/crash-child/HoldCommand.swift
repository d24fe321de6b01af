#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// `hold`: opens the log for writing, reports `H` once it holds the writer
/// lock, then waits for its standard input to close (the parent kills it
/// first), so another process can try to open the same log meanwhile.
struct HoldCommand {
    let arguments: ChildArguments

    func run() -> Never {
        let directory = arguments.string("dir")
        let log: SegmentLog
        do {
            log = try SegmentLog.open(directory: directory)
        } catch {
            ParentPipe.send("E \(error)")
            exit(1)
        }
        ParentPipe.send("H \(log.nextSequence)")
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
        try? log.close()
        exit(0)
    }
}
