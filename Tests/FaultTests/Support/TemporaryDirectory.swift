import Foundation

/// A fresh, empty directory for one test, removed when the value goes away,
/// so tests running in parallel never share a path.
final class TemporaryDirectory {
    let path: String

    init(_ name: String) {
        path = FileManager.default.temporaryDirectory.path + "/faults-\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory (for a log directory the engine creates).
    func child(_ name: String = "log") -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
