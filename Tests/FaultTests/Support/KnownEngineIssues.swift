import Testing

/// Engine bugs found by this harness and not yet fixed, recognised by their
/// failure text so that randomized tests (power cuts, soak) report them as
/// known issues while every other failure still fails the test. Remove an
/// entry once the engine is fixed.
enum KnownEngineIssues {
    /// A power cut tore a batch at a 512-byte sector boundary a few bytes
    /// after its start (first sector lost, later sectors and batches
    /// written); recovery refuses it as corruption instead of cutting a torn
    /// tail. Directed test: TornTailTests.batchTornAtASectorBoundaryJustAfterItsStart.
    static let sectorTornBatchStart = "a batch torn at a sector boundary just after its start is refused as corruption"

    /// Records `text` as a test issue, as a known one if it matches a known bug.
    static func record(_ text: String) {
        let sectorTorn = text.contains("reopening after") && text.contains("corruption in")
            && (text.contains("bad batch magic") || text.contains("zero bytes where a batch header should be"))
        if sectorTorn {
            withKnownIssue(Comment(rawValue: sectorTornBatchStart), isIntermittent: true) {
                Issue.record(Comment(rawValue: text))
            }
        } else {
            Issue.record(Comment(rawValue: text))
        }
    }
}
