#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// A log directory as the commands present it: the engine's listing
/// (``LogDirectoryListing``), its failures turned into one-line messages
/// with exit status 2, and who holds its lock.
struct LogDirectory {
    let path: String
    let listing: LogDirectoryListing

    var segments: [UInt64] { listing.segments }
    var indexes: Set<UInt64> { Set(listing.indexes) }
    var temporaries: [String] { listing.temporaries }
    var corruptFiles: [String] { listing.corruptFiles }
    var hasLockFile: Bool { listing.hasLockFile }
    /// Names the log does not own.
    var foreign: [String] { listing.foreign }

    /// Lists `path`, failing with a one-line message (exit 2) if it is missing,
    /// not a directory, unreadable, holds anything but regular files, or
    /// holds no segment files.
    static func list(_ path: String, requireSegments: Bool = true) throws(CLIError) -> LogDirectory {
        let listing: LogDirectoryListing
        do {
            listing = try LogDirectoryListing.read(directory: path)
        } catch .io(_, _, let code) where code == ENOENT {
            throw .unusable("\(path): no such directory")
        } catch .io(_, _, let code) where code == ENOTDIR {
            throw .unusable("\(path): not a directory (expected a log directory)")
        } catch .io(_, _, let code) {
            throw .unusable("\(path): cannot read directory: \(String(cString: strerror(code)))")
        } catch .unexpectedFile(let entry, let reason) {
            throw .unusable("\(path) is not a usable log: \(entry) \(reason)")
        } catch {
            throw .unusable("\(path): \(error)")
        }
        if requireSegments && listing.segments.isEmpty {
            if listing.foreign.isEmpty && listing.indexes.isEmpty {
                throw .unusable("\(path): not a SignalLog log (no segment files; the directory is empty)")
            }
            throw .unusable("\(path): not a SignalLog log (no NNNNNNNNNNNNNNNNNNNN.seg segment files)")
        }
        return LogDirectory(path: path, listing: listing)
    }

    /// Opens the log read-only through the engine (no lock, no changes).
    func openReadOnly() throws(CLIError) -> SegmentLog {
        if let name = foreign.first {
            throw .unusable("\(path) is not a SignalLog log: \(path)/\(name) is not a file of a log (expected NNNNNNNNNNNNNNNNNNNN.seg, .idx or LOCK)")
        }
        do {
            return try SegmentLog.openReadOnly(directory: path)
        } catch {
            throw CLIError.from(error, directory: path)
        }
    }

    /// Takes the log's writer lock for a command that reads the log and then
    /// changes it, so that no writer can get in between its plan and its
    /// last change (docs/cli.md). Fails with exit status 2, naming the
    /// holder, while a writer has the log.
    func acquireWriterLock(for command: String) throws(CLIError) -> WriterLock {
        do {
            return try WriterLock.acquire(directory: path)
        } catch .locked {
            let pid = writerPID()
            throw CLIError("\(path) is locked by a running writer\(pid.map { $0 > 0 ? " (pid \($0))" : "" } ?? ""); \(command) needs the writer lock, so stop the writer first", exitCode: ExitStatus.unusable)
        } catch {
            throw CLIError.from(error, directory: path)
        }
    }

    /// Says on stderr that the torn tail of a crash was left out, when the
    /// log was opened with one and no writer is running (a live writer's
    /// half-written batch is not a tail): reading commands pass over nothing
    /// in silence, though a crash tail is not damage and leaves the exit
    /// status alone.
    func noteTornTail(of log: SegmentLog) {
        guard let tail = log.recoveryReport.truncatedTail, writerPID() == nil else { return }
        StandardError.line("signallog: note: \(tail.path) ends in \(tail.bytes) bytes of an interrupted write at offset \(tail.offset) (\(tail.reason)); they hold no complete batch and are not shown")
    }

    /// The process holding the writer lock (see ``WriterLock/holder(directory:)``).
    func writerPID() -> Int32? { WriterLock.holder(directory: path) }
}
