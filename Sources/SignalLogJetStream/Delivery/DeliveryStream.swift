/// The stream signals for remote nodes go through, shared by senders
/// (``RemoteTarget``) and receivers (``SignalInbox``).
public struct DeliveryStream: Sendable, Equatable {
    /// The stream's name.
    public var name: String
    /// The subjects' first token (``DeliverySubjects/prefix``).
    public var prefix: String = "signallog-delivery"
    /// Create the stream (capturing `<prefix>.>`) when it is missing.
    public var createIfMissing = true
    /// Copies of a stream created here (1, 3 or 5 in a cluster).
    public var replicas = 1
    /// Oldest message a stream created here keeps, nanoseconds (0: no limit).
    /// Delivered messages stay until then; only undelivered ones matter.
    public var maxAge: Int64 = 0

    public init(name: String) {
        self.name = name
    }

    /// The subjects of `nodeID` in this stream.
    public func subjects(for nodeID: String) -> DeliverySubjects {
        DeliverySubjects(prefix: prefix, nodeID: nodeID)
    }

    /// Checks that the stream exists and captures `subjects`' deliveries,
    /// creating it when allowed and missing.
    func prepare(_ jetStream: JetStream, for subjects: DeliverySubjects) async throws(DeliveryError) {
        do {
            let info = try await jetStream.streamInfo(name)
            guard info.config.subjects.contains(where: { LogSubjects.matches(pattern: $0, subject: subjects.deliver) }) else {
                throw DeliveryError.streamDoesNotCapture(stream: name, subject: subjects.deliver, subjects: info.config.subjects)
            }
        } catch let error as DeliveryError {
            throw error
        } catch let error as JetStreamError where error.errorCode == JetStreamErrorCode.streamNotFound && createIfMissing {
            var config = StreamConfig(name: name, subjects: [subjects.streamSubject])
            config.replicas = replicas
            config.maxAge = maxAge
            do {
                try await jetStream.createStream(config)
            } catch let error where error.errorCode == JetStreamErrorCode.streamNameInUse {
                // Another sender or inbox created it meanwhile.
            } catch {
                throw .jetStream(error)
            }
        } catch let error as JetStreamError {
            throw .jetStream(error)
        } catch {
            throw .jetStream(.malformedResponse(server: "", subject: name, reason: "\(error)"))
        }
    }
}
