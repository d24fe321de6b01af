import SegmentLog
import SignalLog

#if canImport(Glibc)
import Glibc
#endif

/// `--check-processed <log-directory> <acks-file>`: after a crash and a
/// drain, checks the log against the `ACK <id> <partition> <sequence>`
/// lines a crash-mode child printed: every acknowledged signal was
/// processed exactly once, every accepted signal was processed, and each
/// partition's signals were processed in acceptance order. Prints
/// `CHECKED <acks> <accepted> <processed>` and exits 0, or prints each
/// problem (at most 20) and exits 1.
func runCheckProcessed(_ arguments: [String]) {
    guard arguments.count >= 2, let file = fopen(arguments[1], "r") else {
        writeOut("usage: slog-node-child --check-processed <log-directory> <acks-file>\n")
        exit(2)
    }
    var acked: [String] = []
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ")
        if fields.count >= 2, fields[0] == "ACK" { acked.append(String(fields[1])) }
    }
    fclose(file)
    var problems: [String] = []
    var acceptance: [String: (sequence: UInt64, partition: String)] = [:]
    var processed: [String: Int] = [:]
    var lastProcessed: [String: UInt64] = [:]
    do {
        let log = try SegmentLog.openReadOnly(directory: arguments[0])
        defer { try? log.close() }
        let reader = log.read(LogQuery(kinds: [SignalRecordKind.signal.rawValue, SignalRecordKind.attempt.rawValue]))
        while let record = try reader.next() {
            switch try DecodedSignalRecord.decode(kind: record.kind, payload: record.payload) {
            case .signal(let signal) where signal.carriedFrom == nil:
                acceptance[signal.signal.id] = (record.sequence, record.partition)
            case .attempt(let attempt) where attempt.attempt.outcome == .processed:
                let id = attempt.attempt.signalID
                processed[id, default: 0] += 1
                guard let accepted = acceptance[id] else { continue }
                if let last = lastProcessed[accepted.partition], last > accepted.sequence, problems.count < 20 {
                    problems.append("partition \(accepted.partition): \(id) (accepted at \(accepted.sequence)) processed after a signal accepted at \(last)")
                }
                lastProcessed[accepted.partition] = max(lastProcessed[accepted.partition] ?? 0, accepted.sequence)
            default:
                break
            }
        }
    } catch {
        writeOut("ERROR \(error)\n")
        exit(1)
    }
    for id in acked where processed[id] != 1 && problems.count < 20 {
        problems.append("acknowledged \(id) processed \(processed[id] ?? 0) times")
    }
    for id in acceptance.keys where processed[id] == nil && problems.count < 20 {
        problems.append("accepted \(id) never processed")
    }
    for problem in problems { writeOut("PROBLEM \(problem)\n") }
    writeOut("CHECKED \(acked.count) \(acceptance.count) \(processed.count)\n")
    exit(problems.isEmpty ? 0 : 1)
}
