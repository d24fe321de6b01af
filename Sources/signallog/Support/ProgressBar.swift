#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar with rate and ETA, drawn on stderr only when
/// stderr is a terminal (otherwise it stays silent). Redraws at most ten
/// times a second and erases itself when finished.
final class ProgressBar {
    private let total: Int64?
    private let unit: String
    private let enabled: Bool
    private let style: Style
    private let started = Monotonic.now()
    private var lastDraw: Double = -1
    private var drawn = false

    init(total: Int64?, unit: String, enabled: Bool = Terminal.stderrIsTTY, style: Style) {
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        self.unit = unit
        self.enabled = enabled
        self.style = style
    }

    /// `done` is measured against `total` (bytes, say); `items` is what the rate counts.
    func update(done: Int64, items: Int, force: Bool = false) {
        guard enabled else { return }
        let now = Monotonic.now()
        guard force || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now - started, 0.001)
        let rate = Double(items) / elapsed
        var right = " \(Units.count(items)) \(unit)  \(Units.rate(rate))/s"
        var left = ""
        if let total {
            let fraction = min(1, max(0, Double(done) / Double(total)))
            let percent = Units.fixed(fraction * 100, 0) + "%"
            let remaining = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
            right += "  ETA " + Self.clock(remaining)
            let width = max(10, Terminal.width(STDERR_FILENO) - Table.visibleWidth(right) - 8)
            let filled = Int(Double(width) * fraction)
            left = "[" + style.green(String(repeating: "█", count: filled)) + String(repeating: "·", count: width - filled) + "] " + percent.leftPadded(4)
        } else {
            let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
            left = spinner[Int(elapsed * 10) % spinner.count] + " " + Self.clock(elapsed)
        }
        StandardError.write("\r\u{1B}[2K" + left + right)
        drawn = true
    }

    /// Erases the bar.
    func finish() {
        guard enabled, drawn else { return }
        StandardError.write("\r\u{1B}[2K")
        drawn = false
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60)
        let mm = m < 10 ? "0\(m)" : "\(m)", ss = s < 10 ? "0\(s)" : "\(s)"
        return h > 0 ? "\(h):\(mm):\(ss)" : "\(mm):\(ss)"
    }
}

/// Seconds from a monotonic clock.
enum Monotonic {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
