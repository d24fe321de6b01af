import ArgumentParser
import SegmentLog

/// `signallog repair DIR`: the explicit, confirmed salvage of a damaged log.
struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Salvage a damaged log: cut a torn tail, rebuild indexes, set unreadable bytes aside.",
        discussion: """
            Shows its plan, then asks for confirmation (or takes --yes). Nothing is deleted \
            without saying so: unreadable bytes are copied into NAME.OFFSET.corrupt files beside \
            the segments before being cut out, damaged indexes are renamed to .corrupt, and every \
            record lost to the damage is replaced by a placeholder record of kind "lost" that \
            names the .corrupt file, so sequence numbers stay gap-free. Index files are rebuilt \
            by opening the log for writing afterwards. Refuses to run while a writer holds the log.

            Exit status: 0 repaired (or nothing to do), 1 not repaired (declined, failed, or \
            problems remain), 2 unusable input or locked by a writer.

            Examples:
              signallog repair ./log --dry-run
              signallog repair ./log --yes
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(name: .long, help: "Only show what would be done.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Apply without asking.")
    var yes = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let style = global.style
        // Whether the plan can be confirmed is known before anything is read or locked.
        if !dryRun && !yes && !Terminal.stdinIsTTY {
            throw CLIError("repair changes files: pass --yes to apply its plan (or --dry-run to only see it)", exitCode: ExitStatus.unusable)
        }
        // Only a log gets a lock file: check the directory before taking its lock.
        let unlocked = try LogDirectory.list(directory)
        if let name = unlocked.foreign.first {
            throw CLIError.unusable("\(directory)/\(name) is not a file of a log; repair touches only the log's own files, so move it away first")
        }
        // The lock is held from the first read that the plan is made of to the
        // last change, the confirmation prompt included: a writer that got in
        // between would append records the plan knows nothing about, and
        // applying it could cut them off. A dry run changes nothing and takes none.
        let lock = dryRun ? nil : try unlocked.acquireWriterLock(for: "repair")
        defer { lock?.release() }
        _ = try LogDirectory.list(directory)
        let plan: RepairPlan
        do {
            plan = try SegmentLog.planRepair(directory: directory, lock: lock)
        } catch {
            throw CLIError.verifyFailure(error, directory: directory)
        }
        let out = OutputBuffer()
        if plan.isEmpty {
            out.line("Nothing to repair: \(directory) is clean.")
            out.flush()
            return
        }
        out.line(style.bold("Repair plan for \(directory):"))
        var number = 0
        for step in plan.steps {
            number += 1
            out.line("  \(number). \(step.summary)")
        }
        if !plan.steps.isEmpty || !plan.engineNotes.isEmpty {
            number += 1
            out.line("  \(number). open the log for writing once, letting the engine's recovery rebuild every missing index\(plan.engineNotes.isEmpty ? "" : ":")")
            for note in plan.engineNotes { out.line("       - \(note)") }
            out.line("  \(number + 1). verify the log again")
        }
        if plan.lostRecords > 0 {
            out.line(style.yellow("  \(plan.lostRecords) record\(plan.lostRecords == 1 ? " is" : "s are") unreadable and will be replaced by placeholders; their bytes are kept in the .corrupt files."))
        }
        for item in plan.unrepairable {
            out.line(style.red("  cannot repair: ") + item)
        }
        guard let lock, !dryRun else {
            out.line("Dry run: nothing was changed. Run `signallog repair \(directory) --yes` to apply.")
            out.flush()
            return
        }
        out.flush()
        KillPoint.hit("repair.planned")
        if !yes {
            StandardError.write("Apply these changes to \(directory)? [y/N] ")
            let answer = readLine()?.trimmingSpaces().lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                StandardError.line("Nothing was changed.")
                throw ExitCode(ExitStatus.failure)
            }
        }

        // The engine applies the plan and then opens the log for writing once
        // (rebuilding indexes, removing leftovers), still under the lock taken
        // before the plan, and verifies it again.
        let outcome: RepairOutcome
        do {
            outcome = try SegmentLog.applyRepair(plan, lock: lock) { step in
                out.line(style.green("  done: ") + step.summary)
                out.flush()
            }
        } catch {
            out.flush()
            throw CLIError(error.description, exitCode: ExitStatus.failure)
        }
        let recovery = outcome.recovery
        for path in recovery.rebuiltIndexes { out.line(style.green("  done: ") + "rebuilt \(fileName(path))") }
        for path in recovery.removedFiles { out.line(style.green("  done: ") + "removed \(fileName(path))") }
        if let tail = recovery.truncatedTail { out.line(style.green("  done: ") + "cut \(tail.bytes) bytes from \(fileName(tail.path))") }
        let after = outcome.after
        if outcome.isRepaired {
            out.line("Result: " + style.green("repaired") + "; `signallog verify \(directory)` reports it clean" + (after.warnings > 0 ? " with \(after.warnings) warning\(after.warnings == 1 ? "" : "s")" : "") + ".")
            out.flush()
        } else {
            out.line("Result: " + style.red("\(after.errors) problem\(after.errors == 1 ? "" : "s") remain") + "; see `signallog verify \(directory)`.")
            out.flush()
            throw ExitCode(ExitStatus.failure)
        }
    }
}
