#if canImport(Glibc)
import Glibc
#endif

/// Figures about this process and machine read from /proc (Linux): peak
/// resident memory, bytes read through system calls, the load average.
enum ProcessStats {
    /// Resets the kernel's peak-RSS mark (VmHWM) to the current RSS, so the
    /// next ``peakResidentBytes()`` covers only what runs in between.
    /// Returns false where the kernel does not allow it.
    /// Freed heap memory is first handed back to the kernel (`malloc_trim`),
    /// so memory a previous workload freed does not hide this one's use.
    @discardableResult
    static func resetPeakResident() -> Bool {
        _ = mallocTrim(0)
        let fd = Glibc.open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        let five: [UInt8] = [UInt8(ascii: "5")]
        return five.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, 1) } == 1
    }

    /// Peak resident memory of the process (VmHWM) in bytes.
    static func peakResidentBytes() -> Int { statusField("VmHWM:") * 1024 }

    /// Current resident memory of the process (VmRSS) in bytes.
    static func residentBytes() -> Int { statusField("VmRSS:") * 1024 }

    /// Bytes this process has read through read/pread so far (`rchar` of
    /// /proc/self/io): counts page-cache hits too, which is what we want to
    /// compare how much of a file each system fetches for a query.
    static func bytesReadBySyscalls() -> Int { ioField("rchar:") }

    /// Bytes this process has written through write/pwrite so far (`wchar`).
    static func bytesWrittenBySyscalls() -> Int { ioField("wchar:") }

    private static func ioField(_ name: String) -> Int {
        guard let text = readFile("/proc/self/io") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return Int(line.dropFirst(name.count).trimmedOfSpaces()) ?? 0
        }
        return 0
    }

    /// The 1-minute load average, as `uptime` shows it.
    static func loadAverage() -> String {
        guard let text = readFile("/proc/loadavg") else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// A short description of the CPU (model name and count).
    static func cpuDescription() -> String {
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        guard let text = readFile("/proc/cpuinfo") else { return "\(cores) cores" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return "\(line[line.index(after: colon)...].trimmedOfSpaces()), \(cores) cores"
            }
        }
        return "\(cores) cores"
    }

    /// Total memory in GiB.
    static func memoryGiB() -> Double {
        Double(statusLine(file: "/proc/meminfo", "MemTotal:")) / 1024 / 1024
    }

    private static func statusField(_ name: String) -> Int { statusLine(file: "/proc/self/status", name) }

    private static func statusLine(file: String, _ name: String) -> Int {
        guard let text = readFile(file) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).filter(\.isNumber)
            return Int(digits) ?? 0
        }
        return 0
    }

    /// Reads a small text file (a /proc file) whole.
    static func readFile(_ path: String) -> String? {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    /// The text without leading and trailing whitespace.
    func trimmedOfSpaces() -> String {
        var s = self[...]
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
