import Foundation

/// Executables of this package built beside the running test bundle (on
/// Linux the bundle is `<build>/<config>/SignalLogPackageTests.xctest`), so
/// tests run the very binaries `swift build` just made.
public enum BuiltExecutable {
    /// The path of the product `name`, looking up to three folders above the
    /// test binary; the last candidate if none exists (the failure then names it).
    public static func path(_ name: String) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }
}
