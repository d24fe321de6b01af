/// Writes presented records to stdout in the chosen format.
final class RecordSink {
    let format: OutputFormat
    let presenter: RecordPresenter
    let out: OutputBuffer
    private(set) var count = 0
    private var begun = false

    init(format: OutputFormat, presenter: RecordPresenter, out: OutputBuffer = OutputBuffer()) {
        self.format = format
        self.presenter = presenter
        self.out = out
    }

    func begin() {
        begun = true
        if format == .json { out.write("[") }
    }

    func emit(_ item: PresentedRecord) {
        switch format {
        case .text:
            out.line(presenter.text(item))
        case .ndjson:
            out.withBuffer { RecordPresenter.writeJSON(item, to: &$0); $0.append(10) }
        case .json:
            out.withBuffer { bytes in
                bytes.append(contentsOf: (count == 0 ? "\n  " : ",\n  ").utf8)
                RecordPresenter.writeJSON(item, to: &bytes)
            }
        case .cloudevents:
            guard let line = RecordPresenter.cloudEvent(item) else { return }
            out.line(line)
        }
        count += 1
    }

    func end() {
        if format == .json { out.write(count == 0 ? "]\n" : "\n]\n") }
        out.flush()
    }
}
