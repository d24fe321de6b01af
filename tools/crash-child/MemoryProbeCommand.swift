#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// `probe-read`: opens a healthy log (`--baseline`) and reads it whole, so
/// every buffer the engine keeps has been allocated once; then opens the log
/// under test (`--dir`, read-only) and reads it whole, and reports how much
/// the peak virtual size (VmPeak: every allocation, touched or not) and the
/// peak resident set (VmHWM) grew during that second read. Lines:
/// `R ok|error <text>`, `M <peak virtual bytes> <peak RSS bytes>`.
///
/// It runs in a child so that no other test's allocations blur the numbers.
struct MemoryProbeCommand {
    let arguments: ChildArguments

    func run() -> Never {
        let baselineLog = readWhole(arguments.string("baseline")).log
        let virtualBefore = Self.status("VmPeak:")
        let residentBefore = Self.status("VmHWM:")
        let (log, reader, outcome) = readWhole(arguments.string("dir"))
        let virtualAfter = Self.status("VmPeak:")
        let residentAfter = Self.status("VmHWM:")
        ParentPipe.send("R " + outcome)
        ParentPipe.send("M \(virtualAfter - virtualBefore) \(residentAfter - residentBefore)")
        withExtendedLifetime((baselineLog, log, reader)) {}
        exit(0)
    }

    private func readWhole(_ directory: String) -> (log: SegmentLog?, reader: LogReader?, outcome: String) {
        let log: SegmentLog
        do {
            log = try SegmentLog.openReadOnly(directory: directory)
        } catch {
            return (nil, nil, "error open: \(error)")
        }
        let reader = log.read()
        do {
            while try reader.next() != nil {}
        } catch {
            return (log, reader, "error read: \(error)")
        }
        return (log, reader, log.recoveryReport.damage.isEmpty ? "ok" : "error damage: \(log.recoveryReport.damage)")
    }

    /// A size line of /proc/self/status (such as `VmHWM:`), in bytes.
    static func status(_ key: String) -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix(key) {
                let digits = text.filter(\.isNumber)
                return (Int(digits) ?? 0) * 1024
            }
        }
        return 0
    }
}
