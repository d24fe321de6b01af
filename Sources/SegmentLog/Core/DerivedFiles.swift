/// Files the layer above keeps beside the log to start faster (the
/// processing layer's dedupe snapshot): named `NAME.snapshot`, derived from
/// the records and never needed to read them (docs/format.md, "Directory").
/// The engine accepts them in a log directory, a writable open removes an
/// interrupted `NAME.snapshot.tmp`, and a repair deletes them, since what
/// it changes may no longer match them.
extension SegmentFormat {
    package static let derivedSuffix = ".snapshot"

    /// Whether `name` is a derived file's (`[a-z0-9-]+.snapshot`).
    package static func isDerivedName(_ name: Substring) -> Bool {
        guard name.hasSuffix(derivedSuffix) else { return false }
        let stem = name.dropLast(derivedSuffix.count)
        return !stem.isEmpty && stem.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}

extension SegmentLog {
    /// Writes the derived file `name` whole, so that a crash leaves the old
    /// file or the new one: `write` fills `name.tmp`, which is synced,
    /// renamed into place, and the directory synced.
    package func writeDerivedFile(_ name: String, _ write: (any LogFile) throws -> Void) throws {
        precondition(SegmentFormat.isDerivedName(Substring(name)), "not a derived file name: \(name)")
        let fileSystem = options.fileSystem
        let path = directory + "/" + name
        let temporary = path + SegmentFormat.temporarySuffix
        let file = try fileSystem.open(temporary, mode: .createOrTruncate)
        try write(file)
        KillPoint.hit("derived.after-temp-write")
        try file.sync()
        KillPoint.hit("derived.after-temp-sync")
        try fileSystem.rename(temporary, to: path)
        KillPoint.hit("derived.after-rename")
        try fileSystem.syncDirectory(directory)
    }

    /// The derived file `name` opened for reading, or nil when there is none.
    package func openDerivedFile(_ name: String) throws(SegmentLogError) -> (any LogFile)? {
        let entries = try options.fileSystem.list(directory)
        guard entries.contains(where: { $0.name == name && $0.kind == .regular }) else { return nil }
        return try options.fileSystem.open(directory + "/" + name, mode: .readOnly)
    }

    /// Removes the derived file `name` (if present).
    package func removeDerivedFile(_ name: String) throws(SegmentLogError) {
        let entries = try options.fileSystem.list(directory)
        guard entries.contains(where: { $0.name == name }) else { return }
        try options.fileSystem.remove(directory + "/" + name)
    }
}
