#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// `open-readonly`: opens the log read-only (with `--vanish SUFFIX`, while
/// entries with that suffix vanish between listing and `lstat`) and reports
/// `R ok <next sequence>` or `R error <message>`.
struct OpenReadOnlyCommand {
    let arguments: ChildArguments

    func run() -> Never {
        if let suffix = arguments.optionalString("vanish") { VanishingEntryInterposer.enable(suffix: suffix) }
        do {
            let log = try SegmentLog.openReadOnly(directory: arguments.string("dir"))
            ParentPipe.send("R ok \(log.nextSequence)")
            try log.close()
        } catch {
            ParentPipe.send("R error \(error)")
        }
        exit(0)
    }
}
