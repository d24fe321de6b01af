import Foundation

/// Bytes that the files of a log directory or a database occupy.
enum DirectorySize {
    /// Sum of the sizes of the regular files directly in `directory`.
    static func bytes(in directory: String) -> Int {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return 0 }
        var total = 0
        for name in names {
            total += bytes(ofFile: directory + "/" + name)
        }
        return total
    }

    /// Size of one file, or 0 if it does not exist.
    static func bytes(ofFile path: String) -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = attributes[.size] as? NSNumber else { return 0 }
        return size.intValue
    }

    /// Removes a file or directory tree, ignoring one that is already gone.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
