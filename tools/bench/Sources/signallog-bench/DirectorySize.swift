#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Bytes that the files of a log directory or a database occupy.
enum DirectorySize {
    /// Sum of the sizes of the regular files directly in `directory`.
    static func bytes(in directory: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        return names.reduce(0) { $0 + bytes(ofFile: directory + "/" + $1) }
    }

    /// Size of one regular file (`stat`), or 0 if it does not exist.
    static func bytes(ofFile path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return Int(info.st_size)
    }

    /// Removes a file or directory tree, ignoring one that is already gone.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
