import Foundation
import Testing
import SignalLogJetStream

/// The client against a real nats-server: publish/subscribe with headers,
/// request/reply, authentication, errors and reconnection.
@Suite struct NATSClientTests {
    private func connect(_ server: NATSServerProcess, auth: NATSAuth = .none) async throws -> NATSClient {
        var options = NATSOptions.forTests([server.address])
        options.auth = auth
        return try await NATSClient.connect(options)
    }

    @Test func publishSubscribeWithHeaders() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let client = try await connect(server)
        let subscription = try client.subscribe("demo.*")
        try await client.flush()
        var headers = NATSHeaders()
        headers.append("Trace", "abc")
        try client.publish("demo.one", payload: Array("first".utf8), headers: headers)
        try client.publish("demo.two", payload: Array("second".utf8))
        try client.publish("other", payload: Array("not matched".utf8))
        let first = await subscription.next(timeout: .seconds(60))
        let second = await subscription.next(timeout: .seconds(60))
        #expect(first?.subject == "demo.one")
        #expect(first?.headers["Trace"] == "abc")
        #expect(first?.payload == Array("first".utf8))
        #expect(second?.subject == "demo.two")
        #expect(second?.headers.isEmpty == true)
        client.unsubscribe(subscription)
        #expect(await subscription.next() == nil)
        await client.close()
    }

    @Test func requestReplyAndNoResponders() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let client = try await connect(server)
        let service = try client.subscribe("echo")
        try await client.flush()
        let responder = Task {
            while let request = await service.next() {
                try client.publish(request.replyTo!, payload: Array("re: ".utf8) + request.payload)
            }
        }
        let reply = try await client.request("echo", payload: Array("hi".utf8))
        #expect(reply.payload == Array("re: hi".utf8))
        await #expect(throws: NATSError.noResponders(server: server.address.description, subject: "nobody.home")) {
            _ = try await client.request("nobody.home", timeout: .seconds(60))
        }
        await client.close()
        _ = try await responder.value
    }

    @Test func tokenAndUserAuthentication() async throws {
        let tokenServer = try NATSServerProcess(extraArguments: ["--auth", "s3cret"], clientAuth: .token("s3cret"))
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { tokenServer.kill() }
        try await tokenServer.start()
        let client = try await connect(tokenServer, auth: .token("s3cret"))
        try await client.flush()
        await client.close()
        do {
            _ = try await connect(tokenServer, auth: .token("wrong"))
            Issue.record("a wrong token connected")
        } catch {
            guard let failure = error as? NATSError, case .connectionFailed(let servers, let reason) = failure else { Issue.record("\(error)"); return }
            #expect(servers == [tokenServer.address.description])
            #expect(reason.contains("Authorization Violation"), "\(reason)")
        }
        let userServer = try NATSServerProcess(extraArguments: ["--user", "mirror", "--pass", "pw"], clientAuth: .user("mirror", password: "pw"))
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { userServer.kill() }
        try await userServer.start()
        let userClient = try await connect(userServer, auth: .user("mirror", password: "pw"))
        try await userClient.flush()
        await userClient.close()
        await #expect(throws: NATSError.self) { _ = try await connect(userServer, auth: .user("mirror", password: "nope")) }
    }

    @Test func reconnectsToARestartedServerAndResubscribes() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let client = try await connect(server)
        let subscription = try client.subscribe("after.restart")
        try await client.flush()
        server.kill()
        // Until a server is back, calls fail fast instead of queueing.
        while client.connectedServer != nil { await Task.yield() }
        #expect(throws: NATSError.self) { try client.publish("x", payload: []) }
        try await server.start()
        await client.waitUntilConnected()
        try await client.flush()
        try client.publish("after.restart", payload: Array("back".utf8))
        #expect(await subscription.next(timeout: .seconds(60))?.payload == Array("back".utf8))
        await client.close()
    }

    @Test func connectFailsNamingEveryServer() async throws {
        let ports = [try freeLoopbackPort(), try freeLoopbackPort()]
        let options = NATSOptions(servers: ports.map { NATSServerAddress(host: "127.0.0.1", port: $0) })
        do {
            _ = try await NATSClient.connect(options)
            Issue.record("connected to nothing")
        } catch {
            guard case .connectionFailed(let servers, _) = error else { Issue.record("\(error)"); return }
            #expect(servers == ports.map { "127.0.0.1:\($0)" })
        }
    }

    @Test func oversizedPayloadIsRefusedBeforeSending() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let client = try await connect(server)
        let limit = client.serverInfo!.maxPayload
        #expect(throws: NATSError.payloadTooLarge(server: server.address.description, subject: "big", size: limit + 1, limit: limit)) {
            try client.publish("big", payload: [UInt8](repeating: 0, count: limit + 1))
        }
        await client.close()
    }
}
