import SegmentLog

/// A failure the tool reports as one line on stderr, with an exit status.
/// Never a stack trace: every user mistake ends up here.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }

    /// Unusable input: missing directory, not a log, unreadable file.
    static func unusable(_ message: String) -> CLIError { CLIError(message, exitCode: ExitStatus.unusable) }

    /// A failure of `verify` or of planning a repair: the log cannot be
    /// inspected at all (damage is never thrown; it is in the report).
    static func verifyFailure(_ error: SegmentLogError, directory: String) -> CLIError {
        switch error {
        case .unexpectedFile(let path, let reason):
            return .unusable("\(directory) is not a usable log: \(path) \(reason)")
        default:
            return .unusable("\(error)")
        }
    }

    /// Maps an engine error to a message and status.
    static func from(_ error: SegmentLogError, directory: String) -> CLIError {
        switch error {
        case .locked:
            return CLIError("\(directory) is locked by a running writer; stop it first (read-only commands such as info, cat and verify work while it runs)", exitCode: ExitStatus.unusable)
        case .unexpectedFile(let path, let reason):
            return .unusable("\(directory) is not a SignalLog log: \(path) \(reason)")
        case .unsupportedFormat, .sequenceGap:
            return .unusable("\(error)")
        case .io(_, _, let code) where code == 2:
            return .unusable("\(error)")
        case .corruption:
            return CLIError("\(error) (run `signallog verify \(directory)` for details)", exitCode: ExitStatus.failure)
        default:
            return CLIError("\(error)", exitCode: ExitStatus.failure)
        }
    }
}

/// The tool's exit statuses (docs/cli.md).
enum ExitStatus {
    static let success: Int32 = 0
    /// Something failed, or (verify) corruption was found.
    static let failure: Int32 = 1
    /// The input cannot be used: missing directory, not a log, locked, unreadable.
    static let unusable: Int32 = 2
}
