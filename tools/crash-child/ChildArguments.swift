/// The child's command line: a command name followed by `--name value` pairs.
struct ChildArguments {
    let command: String
    private var values: [String: String] = [:]

    init(_ arguments: [String]) {
        command = arguments.first ?? ""
        var i = 1
        while i < arguments.count {
            let name = arguments[i]
            guard name.hasPrefix("--"), i + 1 < arguments.count else {
                ParentPipe.fail("expected --name value, found \(name)")
            }
            values[String(name.dropFirst(2))] = arguments[i + 1]
            i += 2
        }
    }

    func string(_ name: String) -> String {
        guard let value = values[name] else { ParentPipe.fail("missing --\(name)") }
        return value
    }

    func optionalString(_ name: String) -> String? { values[name] }

    func integer(_ name: String, default fallback: Int? = nil) -> Int {
        guard let text = values[name] else {
            guard let fallback else { ParentPipe.fail("missing --\(name)") }
            return fallback
        }
        guard let value = Int(text) else { ParentPipe.fail("--\(name) needs an integer, got \(text)") }
        return value
    }

    func unsigned(_ name: String, default fallback: UInt64) -> UInt64 {
        guard let text = values[name] else { return fallback }
        guard let value = UInt64(text) else { ParentPipe.fail("--\(name) needs an unsigned integer, got \(text)") }
        return value
    }
}
