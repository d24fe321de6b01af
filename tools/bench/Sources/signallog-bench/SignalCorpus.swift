/// The generated data every system stores: a pool of distinct signal records
/// (about 300 bytes of JSON each, with UUIDs, idempotency keys, a source, a
/// type and a sentence of text), spread over about 1,000 partition keys.
///
/// Record `i` of a workload is template `i % count`. The pool is large
/// (64 Ki records, about 20 MB) so that every batch holds distinct records
/// and LZ4's 64 KiB window never sees a repeat, yet small enough that
/// generating data costs nothing inside the timed loops. The generator is
/// seeded, so every run and every system gets the same bytes.
struct SignalCorpus: Sendable {
    /// One generated signal's fields, for the processing workload.
    struct Fields: Sendable {
        var id: String
        var signalType: String
        var sourceID: String
        var urgency: Double
        var idempotencyKey: String
        var correlationID: String
        var createdAtMilliseconds: Int64
        var content: String
        var partition: Int
    }

    /// Number of templates (a power of two).
    let count: Int
    /// Every payload, back to back.
    let payloadBytes: [UInt8]
    /// Start of payload `i` in ``payloadBytes``; `count + 1` entries.
    let payloadOffsets: [Int]
    /// Partition (index into ``partitionKeys``) of template `i`.
    let partitionOf: [Int32]
    /// The distinct partition keys, `"<source>_<type>"`.
    let partitionKeys: [String]
    /// The structured fields of each template.
    let fields: [Fields]

    static let signalTypes = [
        "order_created", "payment_failed", "user_login", "inventory_low",
        "email_bounced", "cart_abandoned", "sensor_alert", "fraud_flag",
    ]
    static let services = [
        "payments-api", "checkout", "auth-gateway", "warehouse", "mailer",
        "web-frontend", "iot-hub", "risk-engine", "search", "billing",
        "catalog", "shipping", "notifier", "ledger", "profile", "reports",
        "analytics", "pricing", "support", "scheduler", "media", "geo",
        "recommender", "audit", "export",
    ]
    static let words = [
        "order", "payment", "declined", "retry", "customer", "warehouse", "stock",
        "below", "threshold", "session", "started", "from", "new", "device",
        "temperature", "exceeded", "limit", "for", "zone", "north", "south",
        "invoice", "overdue", "by", "days", "card", "expired", "address",
        "changed", "shipment", "delayed", "at", "carrier", "hub", "user",
        "requested", "refund", "of", "item", "price", "updated", "to", "login",
        "failed", "password", "reset", "queue", "latency", "high", "on", "node",
    ]

    /// Generates `count` templates (rounded up to a power of two) over
    /// `sources × 8` partitions, from `seed`.
    init(count requested: Int = 1 << 16, sources: Int = 125, seed: UInt64 = 0x5167_4C06) {
        var rng = SplitMix64(seed: seed)
        var count = 1
        while count < requested { count <<= 1 }
        self.count = count
        let sourceIDs = (0..<sources).map { i in
            "\(Self.services[i % Self.services.count])-\(Self.pad(i / Self.services.count + 1, 2))"
        }
        var keys: [String] = []
        keys.reserveCapacity(sources * Self.signalTypes.count)
        for source in sourceIDs {
            for type in Self.signalTypes { keys.append("\(source)_\(type)") }
        }
        partitionKeys = keys

        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 310)
        var offsets: [Int] = [0]
        offsets.reserveCapacity(count + 1)
        var partitionOf: [Int32] = []
        partitionOf.reserveCapacity(count)
        var fields: [Fields] = []
        fields.reserveCapacity(count)
        var createdAt: Int64 = 1_700_000_000_000
        for _ in 0..<count {
            let partition = Int(rng.next() % UInt64(keys.count))
            let source = sourceIDs[partition / Self.signalTypes.count]
            let type = Self.signalTypes[partition % Self.signalTypes.count]
            let id = Self.uuid(&rng)
            let correlation = Self.uuid(&rng)
            let idempotencyKey = "\(source)_\(type)_\(Self.hex(UInt32(truncatingIfNeeded: rng.next()), 8))"
            let urgency = Double(rng.next() % 100) / 100
            createdAt += Int64(rng.next() % 3)
            var content = ""
            let wordCount = 6 + Int(rng.next() % 10)
            for w in 0..<wordCount {
                if w > 0 { content += " " }
                content += Self.words[Int(rng.next() % UInt64(Self.words.count))]
            }
            content += " #\(rng.next() % 100_000)"
            let json = "{\"id\":\"\(id)\",\"type\":\"\(type)\",\"source\":\"\(source)\",\"urgency\":\(urgency),"
                + "\"key\":\"\(idempotencyKey)\",\"corr\":\"\(correlation)\",\"ts\":\(createdAt),"
                + "\"content\":\"\(content)\"}"
            bytes.append(contentsOf: json.utf8)
            offsets.append(bytes.count)
            partitionOf.append(Int32(partition))
            fields.append(Fields(
                id: id, signalType: type, sourceID: source, urgency: urgency, idempotencyKey: idempotencyKey,
                correlationID: correlation, createdAtMilliseconds: createdAt, content: content, partition: partition))
        }
        payloadBytes = bytes
        payloadOffsets = offsets
        self.partitionOf = partitionOf
        self.fields = fields
    }

    /// Template of record `i`.
    @inline(__always)
    func template(_ i: Int) -> Int { i & (count - 1) }

    /// Mean payload size in bytes.
    var meanPayloadBytes: Double { Double(payloadBytes.count) / Double(count) }

    /// Payload plus partition key bytes of records `0..<n`: the input volume
    /// of an ingest, the same for every system.
    func inputBytes(records n: Int) -> Int {
        var total = 0
        let full = n / count, rest = n % count
        if full > 0 { total += full * (payloadBytes.count + partitionBytes(0..<count)) }
        total += payloadOffsets[rest] + partitionBytes(0..<rest)
        return total
    }

    private func partitionBytes(_ templates: Range<Int>) -> Int {
        var total = 0
        for t in templates { total += partitionKeys[Int(partitionOf[t])].utf8.count }
        return total
    }

    /// A random (version 4) UUID in its usual lowercase text form.
    private static func uuid(_ rng: inout SplitMix64) -> String {
        let h = Array(hex(rng.next(), 16)), l = Array(hex(rng.next(), 16))
        let variant = Array("89ab")[Int(l[15].hexDigitValue ?? 0) & 3]
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-4" + String(h[12..<15]) + "-"
            + String(variant) + String(l[0..<3]) + "-" + String(l[3..<15])
    }

    static func hex(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
