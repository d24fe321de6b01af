#if canImport(Glibc)
import Glibc
#endif

/// Writes the input of the user's-path benchmark (tools/bench/ingest-path.sh):
/// N signals as NDJSON in the signal form of docs/signals.md, about 350 bytes
/// a line, over 1,000 partition keys `"<source>_<type>"`, from a seed.
///
/// Every line is distinct (its own id, correlation id and idempotency key),
/// so an import accepts every one: no line is a duplicate of another, and
/// the file measures parsing and storing, not dedupe. The words, services
/// and types are the ones of ``SignalCorpus``, so the text compresses like
/// the engine benchmark's records. Lines are built as bytes and written in
/// 1 MiB blocks: generating a million lines takes about a second.
enum NDJSONGenerator {
    /// `signallog-bench --generate-ndjson N FILE [--seed S]`.
    static func run(_ arguments: [String]) throws(BenchFailure) {
        guard arguments.count >= 2, let count = Int(arguments[0].replacingUnderscores()), count >= 0 else {
            throw .usage("--generate-ndjson needs a signal count and a file: --generate-ndjson N FILE [--seed S]")
        }
        var seed: UInt64 = 0x5167_4C06
        if arguments.count == 4, arguments[2] == "--seed", let value = UInt64(arguments[3]) {
            seed = value
        } else if arguments.count != 2 {
            throw .usage("--generate-ndjson N FILE [--seed S]: unexpected '\(arguments[2...].joined(separator: " "))'")
        }
        try write(count: count, to: arguments[1], seed: seed)
    }

    /// Writes `count` lines to `path` (created or truncated).
    static func write(count: Int, to path: String, seed: UInt64) throws(BenchFailure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "create", path: path, errno: errno) }
        defer { close(fd) }
        var rng = SplitMix64(seed: seed)
        let sources = 125
        let sourceIDs = (0..<sources).map { i in
            "\(SignalCorpus.services[i % SignalCorpus.services.count])-\(SignalCorpus.pad(i / SignalCorpus.services.count + 1, 2))"
        }
        let types = SignalCorpus.signalTypes
        let words = SignalCorpus.words.map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(1 << 21)
        // 2023-11-14T22:13:20Z, stepped 0–2 ms a line.
        var millis: Int64 = 1_700_000_000_000
        for _ in 0..<count {
            let partition = Int(rng.next() % UInt64(sources * types.count))
            let source = sourceIDs[partition / types.count]
            let type = types[partition % types.count]
            millis += Int64(rng.next() % 3)
            let urgency = rng.next() % 100
            out.append(contentsOf: #"{"id":""#.utf8)
            uuid(&rng, into: &out)
            out.append(contentsOf: #"","signal_type":""#.utf8)
            out.append(contentsOf: type.utf8)
            out.append(contentsOf: #"","source_id":""#.utf8)
            out.append(contentsOf: source.utf8)
            out.append(contentsOf: #"","urgency":0."#.utf8)
            out.append(UInt8(ascii: "0") + UInt8(urgency / 10))
            out.append(UInt8(ascii: "0") + UInt8(urgency % 10))
            out.append(contentsOf: #","partition_key":""#.utf8)
            out.append(contentsOf: source.utf8)
            out.append(UInt8(ascii: "_"))
            out.append(contentsOf: type.utf8)
            out.append(contentsOf: #"","idempotency_key":""#.utf8)
            out.append(contentsOf: source.utf8)
            out.append(UInt8(ascii: "_"))
            out.append(contentsOf: type.utf8)
            out.append(UInt8(ascii: "_"))
            hex(rng.next(), digits: 8, into: &out)
            out.append(contentsOf: #"","correlation_id":""#.utf8)
            uuid(&rng, into: &out)
            out.append(contentsOf: #"","timestamp":"#.utf8)
            out.append(contentsOf: String(millis).utf8)
            out.append(contentsOf: #","content":""#.utf8)
            let wordCount = 3 + Int(rng.next() % 8)
            for w in 0..<wordCount {
                if w > 0 { out.append(UInt8(ascii: " ")) }
                out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))])
            }
            out.append(contentsOf: " #".utf8)
            out.append(contentsOf: String(rng.next() % 100_000).utf8)
            out.append(contentsOf: "\"}\n".utf8)
            if out.count >= 1 << 20 {
                try flush(&out, fd: fd, path: path)
            }
        }
        try flush(&out, fd: fd, path: path)
    }

    private static func flush(_ out: inout [UInt8], fd: Int32, path: String) throws(BenchFailure) {
        var done = 0
        while done < out.count {
            let n = out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
        out.removeAll(keepingCapacity: true)
    }

    /// A version 4 UUID in lowercase text.
    private static func uuid(_ rng: inout SplitMix64, into out: inout [UInt8]) {
        let high = rng.next(), low = rng.next()
        hex(high >> 32, digits: 8, into: &out)
        out.append(UInt8(ascii: "-"))
        hex(high >> 16, digits: 4, into: &out)
        out.append(contentsOf: "-4".utf8)
        hex(high, digits: 3, into: &out)
        out.append(UInt8(ascii: "-"))
        out.append(Array("89ab".utf8)[Int(low >> 62)])
        hex(low >> 48, digits: 3, into: &out)
        out.append(UInt8(ascii: "-"))
        hex(low, digits: 12, into: &out)
    }

    /// The low `digits` hex digits of `value`.
    private static func hex(_ value: UInt64, digits: Int, into out: inout [UInt8]) {
        let table = Array("0123456789abcdef".utf8)
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            out.append(table[Int((value >> UInt64(shift)) & 15)])
        }
    }
}
