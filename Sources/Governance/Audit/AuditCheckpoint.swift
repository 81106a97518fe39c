import Crypto
import Foundation

/// A signed statement "entry `sequence` of the trail had hash `hash` at `time`". The chain alone
/// cannot tell a trail rewritten from some entry on with freshly computed hashes, nor one cut off
/// at its end; a checkpoint can, because its signature needs a key that is kept apart from the
/// database (``AuditCheckpointKey``). Checkpoints are made on a schedule and on demand
/// (`citybrain audit checkpoint`), and `citybrain audit verify` checks every one.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var hash: String
    public var time: Date
    /// HMAC-SHA-256 of the three, hex.
    public var signature: String

    public init(sequence: Int64, hash: String, time: Date, signature: String) {
        self.sequence = sequence
        self.hash = hash
        self.time = time
        self.signature = signature
    }

    /// The text that is signed; the time to the millisecond, as the stores keep it.
    var signedText: String { "citybrain-audit-checkpoint-1\n\(sequence)\n\(hash)\n\(Int64((time.timeIntervalSince1970 * 1000).rounded()))" }

    /// `sequence:hash`, the form `audit verify --expect` takes (for anchors kept elsewhere).
    public var anchor: String { "\(sequence):\(hash)" }
}

/// The key that signs checkpoints: 256 random bits in a file of its own (mode 0600), apart from
/// the database and from the personal-data keys (those rotate; checkpoints must stay verifiable).
public struct AuditCheckpointKey: Sendable {
    let secret: Data

    public init(secret: Data) throws(KeyRingError) {
        guard secret.count == 32 else { throw KeyRingError("an audit checkpoint key has 32 bytes, this one \(secret.count)") }
        self.secret = secret
    }

    public static func generate() -> AuditCheckpointKey { try! AuditCheckpointKey(secret: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }) }

    static let format = "citybrain-audit-key-1"

    /// Reads the key file; refuses one that others may read.
    public static func load(from url: URL) throws(KeyRingError) -> AuditCheckpointKey {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw KeyRingError("\(url.path) may be read by others (mode \(String(mode, radix: 8))): chmod 600 it")
        }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw KeyRingError("\(url.path) cannot be read") }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.count == 2, lines[0] == format, let secret = Data(base64Encoded: lines[1]) else {
            throw KeyRingError("\(url.path) is not an audit checkpoint key file (\(format))")
        }
        return try AuditCheckpointKey(secret: secret)
    }

    public func save(to url: URL) throws {
        let text = Self.format + "\n" + secret.base64EncodedString() + "\n"
        guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyRingError("cannot write \(url.path)")
        }
    }

    public func sign(sequence: Int64, hash: String, time: Date) -> AuditCheckpoint {
        var c = AuditCheckpoint(sequence: sequence, hash: hash, time: time, signature: "")
        c.signature = mac(c.signedText)
        return c
    }

    public func isGenuine(_ c: AuditCheckpoint) -> Bool {
        let expected = Array(mac(c.signedText).utf8), given = Array(c.signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func mac(_ text: String) -> String {
        ByteText.hex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: secret)))
    }
}

/// Where the checkpoints are kept (in the database: a forged one is told by its signature, a
/// removed one by the schedule's gap and by anchors kept elsewhere).
public protocol AuditCheckpointStore: Sendable {
    func saveAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws
    /// Oldest first.
    func auditCheckpoints() async throws -> [AuditCheckpoint]
}

/// Makes checkpoints of the trail's newest entry and checks the trail against them.
public struct AuditCheckpoints: Sendable {
    public let audit: any AuditStore
    public let checkpoints: any AuditCheckpointStore
    public let key: AuditCheckpointKey

    public init(audit: any AuditStore, checkpoints: any AuditCheckpointStore, key: AuditCheckpointKey) {
        self.audit = audit
        self.checkpoints = checkpoints
        self.key = key
    }

    /// Signs the newest entry (nil when the trail is empty) and keeps the checkpoint.
    @discardableResult
    public func make(at time: Date = Date(), actor: String) async throws -> AuditCheckpoint? {
        guard let head = try await audit.auditEntries(matching: AuditQuery(limit: 1)).first else { return nil }
        let time = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded() / 1000)
        let checkpoint = key.sign(sequence: head.sequence, hash: head.hash, time: time)
        try await checkpoints.saveAuditCheckpoint(checkpoint)
        _ = try await audit.appendAudit([AuditRecord(time: time, actor: actor, action: "audit.checkpoint", target: "audit:\(head.sequence)", purpose: head.hash)])
        return checkpoint
    }
}

extension AuditChain {
    /// Checks the trail as ``verify(_:expectedHead:)`` does, and against checkpoints (each must be
    /// genuine and its entry still carry its hash) and anchors (`sequence:hash` recorded
    /// elsewhere). Checkpoints without a key are checked for their entries only.
    public static func verify(_ entries: some Sequence<AuditEntry>, checkpoints: [AuditCheckpoint], key: AuditCheckpointKey?,
                              anchors: [(sequence: Int64, hash: String)] = [], expectedHead: String? = nil) -> [Finding] {
        var wanted: [Int64: [String]] = [:]
        for c in checkpoints { wanted[c.sequence, default: []].append(c.hash) }
        for a in anchors { wanted[a.sequence, default: []].append(a.hash) }
        var found: [Int64: String] = [:]
        var headSeen = expectedHead == nil
        let chain = entries.lazy.map { e -> AuditEntry in
            if wanted[e.sequence] != nil { found[e.sequence] = e.hash }
            if e.hash == expectedHead { headSeen = true }
            return e
        }
        var findings = verify(Array(chain))
        if let key {
            for c in checkpoints where !key.isGenuine(c) { findings.append(.forgedCheckpoint(sequence: c.sequence)) }
        }
        for (sequence, hashes) in wanted.sorted(by: { $0.key < $1.key }) {
            for hash in Set(hashes) where found[sequence] != hash {
                findings.append(.anchorMismatch(sequence: sequence, expected: hash, found: found[sequence]))
            }
        }
        if let expectedHead, !headSeen { findings.append(.headMismatch(expected: expectedHead, found: nil)) }
        return findings
    }
}
