import Foundation

/// Whole-file reads and writes for damaging logs on purpose.
enum FileBytes {
    static func read(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
    }

    /// Replaces the file's contents (keeping its mode).
    static func write(_ path: String, _ bytes: [UInt8]) {
        let handle = FileHandle(forWritingAtPath: path)!
        handle.truncateFile(atOffset: 0)
        handle.write(Data(bytes))
        handle.closeFile()
    }

    static func flipBit(_ path: String, bit: Int) {
        var bytes = read(path)
        bytes[bit / 8] ^= UInt8(1 << (bit % 8))
        write(path, bytes)
    }

    static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }

    /// Copies every file of `source` into `destination` (created if needed).
    static func copyDirectory(_ source: String, to destination: String) {
        try? FileManager.default.removeItem(atPath: destination)
        try! FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: source)) ?? [] {
            try! FileManager.default.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
        }
    }

    static func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}
