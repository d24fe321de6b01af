/// Aligned columns for terminal output. Widths ignore ANSI colour codes.
struct Table {
    enum Alignment { case left, right }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []
    var indent = ""
    var separator = "  "
    var showsHeader = true

    init(_ headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.map { _ in .left }
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(style: Style) -> String {
        let all = showsHeader ? [headers] + rows : rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], Table.visibleWidth(cell))
            }
        }
        var lines: [String] = []
        for (r, row) in all.enumerated() {
            var parts: [String] = []
            for i in 0..<headers.count {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - Table.visibleWidth(cell))
                let isLast = i == headers.count - 1
                var text: String
                switch alignments[i] {
                case .left: text = isLast ? cell : cell + pad
                case .right: text = pad + cell
                }
                if r == 0 && showsHeader { text = style.bold(text) }
                parts.append(text)
            }
            lines.append(indent + parts.joined(separator: separator))
        }
        return lines.joined(separator: "\n")
    }

    /// Characters that take a column, not counting escape sequences.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" { inEscape = true; continue }
            width += 1
        }
        return width
    }
}

/// Human-friendly numbers.
enum Units {
    /// `0 B`, `812 B`, `4.0 KiB`, `12.3 MiB`, `1.02 GiB`.
    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while abs(amount) >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        return fixed(amount, amount >= 100 ? 0 : (amount >= 10 ? 1 : 2)) + " " + units[unit]
    }

    /// `1234567` → `1,234,567`.
    static func count<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    /// A decimal with `places` digits after the point, without Foundation.
    static func fixed(_ value: Double, _ places: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int64(scaled / scale)
        let fraction = Int64(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        if places == 0 { return sign + String(whole) }
        var fractionText = String(fraction)
        while fractionText.count < places { fractionText = "0" + fractionText }
        return sign + String(whole) + "." + fractionText
    }

    /// `1 duplicate`, `2 duplicates`.
    static func plural<T: BinaryInteger>(_ value: T, _ noun: String) -> String {
        count(value) + " " + noun + (value == 1 ? "" : "s")
    }

    /// `1.2k/s`, `3.4M/s`.
    static func rate(_ perSecond: Double) -> String {
        if perSecond >= 1_000_000 { return fixed(perSecond / 1_000_000, 2) + "M" }
        if perSecond >= 1_000 { return fixed(perSecond / 1_000, 1) + "k" }
        return fixed(perSecond, 0)
    }
}
