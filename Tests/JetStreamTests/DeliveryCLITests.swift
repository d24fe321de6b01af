import Foundation
import Testing
import SegmentLog
import SignalLog
import SignalLogJetStream

/// `signallog send` and `signallog inbox`, two processes through one stream.
@Suite(.serialized) struct DeliveryCLITests {
    @Test func sendThenInboxDeliversEverySignalOnce() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let input = scratch.child("signals.ndjson")
        var lines = ""
        for n in 0..<800 {
            lines += #"{"id":"sig-\#(n)","content":"reading \#(n)","signal_type":"metric","urgency":0.5,"source_id":"sensor-\#(n % 5)","idempotency_key":"key-\#(n)","partition_key":"p\#(n % 4)"}"# + "\n"
        }
        lines += "not a signal\n"
        try lines.write(toFile: input, atomically: true, encoding: .utf8)
        let sent = try runTool(["send", server.url, input, "--stream", "CLI", "--node", "node-b", "--batch", "100"])
        // The malformed last line is named and fails the run; the rest is stored.
        #expect(sent.status == 1)
        #expect(sent.output.contains("800 stored, 0 already there, 1 malformed"), "\(sent.output)")
        #expect(sent.output.contains("line 801"), "\(sent.output)")
        // Sending again: the server drops every signal by its message id.
        let again = try runTool(["send", server.url, input, "--stream", "CLI", "--node", "node-b"])
        #expect(again.output.contains("0 stored, 800 already there"), "\(again.output)")

        let path = scratch.child("node-b")
        let received = try runTool(["inbox", path, server.url, "--stream", "CLI", "--until-idle"])
        #expect(received.status == 0, "\(received.output)")
        #expect(received.output.contains("800 accepted, 0 duplicates"), "\(received.output)")
        let signals = try signalRecords(path)
        #expect(signals.count == 800)
        #expect(Set(signals.map(\.id)).count == 800)
        for partition in 0..<4 {
            let order = signals.filter { $0.partitionKey == "p\(partition)" }.compactMap { Int($0.id.dropFirst(4)) }
            #expect(order == order.sorted())
        }
    }
}
