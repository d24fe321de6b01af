import ArgumentParser
import SignalLogJetStream

/// The NATS servers and credentials of `mirror` and `restore`.
struct NATSServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Authenticate with this token (or put it in the URL: nats://TOKEN@host:port).", valueName: "token"))
    var token: String?

    @Option(name: .long, help: ArgumentHelp("Authenticate as this user (with --password, or nats://USER:PASS@host:port).", valueName: "user"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp("The user's password.", valueName: "password"))
    var password: String?

    func validate() throws {
        if token != nil && user != nil { throw ValidationError("give --token or --user, not both") }
        if (user == nil) != (password == nil) { throw ValidationError("--user and --password go together") }
    }

    /// Client options for `urls`: one or more `nats://host:port`, comma-separated.
    func options(_ urls: String) throws(CLIError) -> NATSOptions {
        var servers: [NATSServerAddress] = []
        for url in urls.split(separator: ",") {
            guard let address = NATSServerAddress(String(url)) else {
                throw .unusable("\(url) is not a NATS server URL (nats://host:port)")
            }
            servers.append(address)
        }
        guard !servers.isEmpty else { throw .unusable("no NATS server given") }
        var options = NATSOptions(servers: servers)
        if let token { options.auth = .token(token) }
        if let user, let password { options.auth = .user(user, password: password) }
        return options
    }

    /// Connects, or fails with exit status 1 naming every server. With
    /// `retryFor`, keeps trying (pausing 50 ms, doubling up to 2 s) that long
    /// before failing; nil retries for ever.
    func connect(_ urls: String, retryFor: Duration? = .zero) async throws(CLIError) -> NATSClient {
        let options = try options(urls)
        let start = ContinuousClock.now
        var pause = Duration.milliseconds(50)
        var announced = false
        while true {
            do {
                return try await NATSClient.connect(options)
            } catch {
                if let retryFor, ContinuousClock.now - start + pause > retryFor {
                    throw CLIError("\(error)", exitCode: ExitStatus.failure)
                }
                if !announced {
                    StandardError.line("signallog: \(error); retrying")
                    announced = true
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}
