#if canImport(Glibc)
import Glibc
#endif

// The child process of the crash and fault tests (Tests/FaultTests). Each
// command is one role the parent needs a separate process for: an ingester
// it can SIGKILL, a lock holder, a umask-000 writer, a clean heap to measure.
// First a "started" line: the parent holds its spawn gate until it reads it,
// so no descriptor of the parent (a log's lock among them) outlives the exec
// in this process.
ParentPipe.send("S")
let arguments = ChildArguments(Array(CommandLine.arguments.dropFirst()))
if let seed = arguments.optionalString("short-io").flatMap(UInt64.init) {
    ShortIOInterposer.enable(seed: seed)
    atexit {
        let line = "I \(ShortIOInterposer.interrupted) \(ShortIOInterposer.shortened)\n"
        ShortIOInterposer.enabled = false
        line.utf8CString.withUnsafeBufferPointer { _ = write(1, $0.baseAddress!, $0.count - 1) }
    }
}
switch arguments.command {
case "ingest": IngestCommand(arguments: arguments).run()
case "hold": HoldCommand(arguments: arguments).run()
case "umask": UmaskCommand(arguments: arguments).run()
case "probe-read": MemoryProbeCommand(arguments: arguments).run()
case "open-readonly": OpenReadOnlyCommand(arguments: arguments).run()
default: ParentPipe.fail("unknown command \(arguments.command); expected ingest, hold, umask, probe-read or open-readonly")
}
