#if canImport(Glibc)
import Glibc
#endif
import SignalLog

/// Per-line cost of decoding import lines, in one process on one core
/// (`signallog-bench --decode-lines FILE [--repeats R]`): every line of an
/// NDJSON file (signals, CloudEvents or `cat -o ndjson` record objects)
/// decoded by the path `ingest` took before issue 13 (the whole line parsed
/// into a `JSONValue` tree, then `SignalJSON` or `CloudEvent` on the tree)
/// and by `SignalLineDecoder`, alternating, the best of the repeats each.
/// The decoded signals are released between rounds, as `ingest` hands them on.
enum LineDecodeBenchmark {
    static func run(_ arguments: [String]) throws(BenchFailure) {
        guard let path = arguments.first else { throw .usage("--decode-lines needs an NDJSON file") }
        var repeats = 3
        if arguments.count == 3, arguments[1] == "--repeats", let value = Int(arguments[2]), value > 0 {
            repeats = value
        } else if arguments.count != 1 {
            throw .usage("--decode-lines FILE [--repeats R]")
        }
        let bytes = try read(path)
        var lines: [Range<Int>] = []
        var start = 0
        for (offset, byte) in bytes.enumerated() where byte == 10 {
            if offset > start { lines.append(start..<offset) }
            start = offset + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }

        var best = (tree: Double.infinity, direct: Double.infinity)
        var decoded = (tree: 0, direct: 0)
        for _ in 0..<repeats {
            let tree = bytes.withUnsafeBytes { all in
                Stopwatch.time { count(lines, in: all) { try? treeDecode($0) } }
            }
            let direct = bytes.withUnsafeBytes { all in
                Stopwatch.time { count(lines, in: all) { try? SignalLineDecoder.decode($0) } }
            }
            best.tree = min(best.tree, tree.seconds)
            best.direct = min(best.direct, direct.seconds)
            decoded = (tree.value, direct.value)
        }
        guard decoded.tree == decoded.direct else {
            throw .check(workload: "decode-lines", reason: "the two paths decoded \(decoded.tree) and \(decoded.direct) of \(lines.count) lines")
        }
        let n = Double(lines.count)
        let megabytes = Double(bytes.count) / 1e6
        func row(_ name: String, _ seconds: Double) -> String {
            let ns = seconds / n * 1e9
            return name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + "\(fixed(ns, 0)) ns/line  \(fixed(n / seconds / 1e6, 2)) M lines/s  \(fixed(megabytes / seconds, 0)) MB/s"
        }
        print("\(path): \(lines.count) lines, \(bytes.count) bytes, \(decoded.direct) signals; best of \(repeats), one core")
        print(row("JSONValue tree, then SignalJSON/CloudEvent", best.tree))
        print(row("SignalLineDecoder", best.direct))
        print("speed-up \(fixed(best.tree / best.direct, 2))×")
    }

    /// The decode before issue 13 (`Ingest.decode` at 21a59c4), through the public API.
    static func treeDecode(_ line: UnsafeRawBufferPointer) throws(SignalJSONError) -> Signal {
        let value = try JSONValue.parse(line)
        guard case .object(let object) = value else { throw .notAnObject(found: value.typeName) }
        if case .string("signal")? = object["kind"], let inner = object["signal"], case .object = inner, object["sequence"] != nil,
           object["specversion"] == nil {
            return try SignalJSON.decode(inner)
        }
        if object["specversion"] != nil { return try CloudEvent.decode(value).signal() }
        return try SignalJSON.decode(value)
    }

    /// Decodes every line, keeping the signals of one chunk of 2,000 at a time; returns how many decoded.
    private static func count(_ lines: [Range<Int>], in all: UnsafeRawBufferPointer, _ decode: (UnsafeRawBufferPointer) -> Signal?) -> Int {
        var total = 0
        var chunk: [Signal] = []
        chunk.reserveCapacity(2000)
        for range in lines {
            if let signal = decode(UnsafeRawBufferPointer(rebasing: all[range])) { chunk.append(signal) }
            if chunk.count == 2000 {
                total += chunk.count
                blackHole(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        return total + chunk.count
    }

    private static func read(_ path: String) throws(BenchFailure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = block.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { throw .io(operation: "read", path: path, errno: errno) }
            if n == 0 { return bytes }
            bytes += block[0..<n]
        }
    }

    private static func fixed(_ value: Double, _ digits: Int) -> String { String(fixed: value, decimals: digits) }
}
