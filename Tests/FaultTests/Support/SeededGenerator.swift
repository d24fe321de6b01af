import TestSupport

/// The tests' seeded generator: SplitMix64, whose whole state is its seed, so
/// any failure reproduces from the seed printed with it.
typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    /// A uniformly chosen value in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { int(0...(denominator - 1)) < numerator }

    /// A derived seed for an independent sub-run (one crash round, one flip).
    mutating func split() -> UInt64 { next() }
}
