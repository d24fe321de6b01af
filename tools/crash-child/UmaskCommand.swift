import TestSupport
#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// `umask`: with the process umask set to 000, creates a log (and its missing
/// parent directories), rotates it a few times and seals it, so the parent
/// can check that every directory is 0700 and every file 0600. Runs in a
/// child because the umask is process-wide and the test runner is shared.
struct UmaskCommand {
    let arguments: ChildArguments

    func run() -> Never {
        umask(0)
        let directory = arguments.string("dir")
        var options = LogOptions()
        options.segmentMaxBytes = 2048
        do {
            let log = try SegmentLog.open(directory: directory, options: options)
            for sequence in UInt64(0)..<64 {
                try log.append(kind: DerivedRecord.kind(sequence), partition: DerivedRecord.partition(sequence), payload: DerivedRecord.payload(sequence))
            }
            try log.rotate()
            try log.close()
        } catch {
            ParentPipe.fail("umask run: \(error)")
        }
        ParentPipe.send("U")
        exit(0)
    }
}
