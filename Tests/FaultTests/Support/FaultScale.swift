import Foundation

/// Sample sizes and seeds of the fault tests, read from the environment so the
/// same tests serve as CI's quick sample and as the full runs in tools/faults.
///
/// - `FAULT_SEED`: the base seed (default: random, printed by every test).
/// - `FAULT_KILLS`, `FAULT_RECORDS`: SIGKILL crash run (CI 100 kills over 20,000
///   records; full 200 over 1,000,000).
/// - `FAULT_KILL_POINT_HITS`: how many hit counts each kill point is tried at.
/// - `FAULT_FLIPS`: bit flips in sealed segments (CI 1,000; full 10,000).
/// - `FAULT_POWER_CUTS`: page-cache crash rounds of the fault layer.
/// - `FAULT_SOAK_SECONDS`: soak duration (CI 60); `FAULT_SOAK_ROUND_SEED`
///   replays one soak round.
enum FaultScale {
    static func integer(_ name: String, default fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
    }

    static var kills: Int { integer("FAULT_KILLS", default: 100) }
    static var records: Int { integer("FAULT_RECORDS", default: 20_000) }
    static var killPointHits: Int { integer("FAULT_KILL_POINT_HITS", default: 3) }
    static var flips: Int { integer("FAULT_FLIPS", default: 1_000) }
    static var powerCuts: Int { integer("FAULT_POWER_CUTS", default: 150) }
    static var soakSeconds: Int { integer("FAULT_SOAK_SECONDS", default: 60) }
    static var soakRoundSeed: UInt64? { ProcessInfo.processInfo.environment["FAULT_SOAK_ROUND_SEED"].flatMap { UInt64($0) } }

    /// The base seed for `test`: `FAULT_SEED` if set, otherwise a fresh random
    /// one. Printed so that a failure's log line tells how to replay it.
    static func seed(for test: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["FAULT_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("[\(test)] FAULT_SEED=\(seed)")
        return seed
    }
}
