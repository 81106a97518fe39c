import Crypto
import Foundation

/// What happened, to be recorded in the audit trail: who did what to which record, why, when, and
/// in which request.
public struct AuditRecord: Sendable, Hashable {
    public var time: Date
    public var actor: String
    /// What was done: `import.people`, `read.person`, `login` …
    public var action: String
    /// What it was done to: `batch:12`, `person:330110…` …
    public var target: String
    /// The reason given (required to reveal personal data).
    public var purpose: String?
    public var requestID: String?

    public init(time: Date = Date(), actor: String, action: String, target: String, purpose: String? = nil, requestID: String? = nil) {
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.purpose = purpose
        self.requestID = requestID
    }
}

/// A recorded entry of the audit trail: the record, its place in the trail and the hash chain that
/// makes any change, removal or reordering of earlier entries visible.
public struct AuditEntry: Sendable, Hashable {
    /// 1, 2, 3 … without gaps.
    public var sequence: Int64
    public var record: AuditRecord
    /// The hash of the entry before (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 over the sequence, the record and the previous hash, in hex.
    public var hash: String

    public init(sequence: Int64, record: AuditRecord, previousHash: String, hash: String) {
        self.sequence = sequence
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The hash chain of the audit trail.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// The entry that follows `previous` (nil: the first).
    public static func entry(after previous: (sequence: Int64, hash: String)?, _ record: AuditRecord) -> AuditEntry {
        let sequence = (previous?.sequence ?? 0) + 1
        let previousHash = previous?.hash ?? genesis
        return AuditEntry(sequence: sequence, record: record, previousHash: previousHash,
                          hash: hash(sequence: sequence, record: record, previousHash: previousHash))
    }

    /// Every field length-prefixed, so that no two different entries hash the same bytes. Times
    /// count in milliseconds, as the stores keep them.
    public static func hash(sequence: Int64, record: AuditRecord, previousHash: String) -> String {
        var hasher = SHA256()
        func add(_ s: String?) {
            guard let s else {
                hasher.update(data: [0xFF])
                return
            }
            let bytes = Array(s.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        add(previousHash)
        add(String(sequence))
        add(String(Int64((record.time.timeIntervalSince1970 * 1000).rounded())))
        add(record.actor)
        add(record.action)
        add(record.target)
        add(record.purpose)
        add(record.requestID)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// What a check of the trail found.
    public enum Finding: Sendable, Equatable, CustomStringConvertible {
        /// Entries were missing before this sequence number (removed).
        case missing(before: Int64, expected: Int64)
        /// The entry's content no longer matches its hash (changed).
        case modified(sequence: Int64)
        /// The entry does not follow the one before it (reordered, or the one before was replaced).
        case brokenLink(sequence: Int64)
        /// The newest entry is not the head recorded elsewhere (entries removed at the end).
        case headMismatch(expected: String, found: String?)
        /// A checkpoint whose signature the key does not make (forged, or signed with another key).
        case forgedCheckpoint(sequence: Int64)
        /// A checkpoint or anchor names an entry the trail no longer has with that hash.
        case anchorMismatch(sequence: Int64, expected: String, found: String?)

        public var description: String {
            switch self {
            case .missing(let before, let expected): "entries \(expected)…\(before - 1) are missing before entry \(before) (removed)"
            case .modified(let s): "entry \(s) was changed: its content no longer matches its hash"
            case .brokenLink(let s): "entry \(s) does not follow entry \(s - 1): entries were reordered or replaced"
            case .headMismatch(let expected, let found):
                found.map { "the newest entry's hash is \($0), not the recorded head \(expected): entries were removed at the end" }
                    ?? "no entry has the recorded hash \(expected): entries were removed or rewritten"
            case .forgedCheckpoint(let s): "the checkpoint of entry \(s) is not signed with the audit key: it was forged or altered"
            case .anchorMismatch(let s, let expected, let found):
                "entry \(s) should have the hash \(expected) (checkpoint or anchor) but \(found.map { "has \($0)" } ?? "is gone"): the trail was rewritten or cut"
            }
        }
    }

    /// Checks entries in their stored order; `expectedHead`, when given, is a head hash recorded
    /// outside the database (the chain alone cannot see its last entries cut off).
    public static func verify(_ entries: some Sequence<AuditEntry>, expectedHead: String? = nil) -> [Finding] {
        var findings: [Finding] = []
        var previous: (sequence: Int64, hash: String)?
        for e in entries {
            let expected = (previous?.sequence ?? 0) + 1
            if hash(sequence: e.sequence, record: e.record, previousHash: e.previousHash) != e.hash {
                findings.append(.modified(sequence: e.sequence))
            } else if e.sequence > expected {
                findings.append(.missing(before: e.sequence, expected: expected))
            } else if e.sequence < expected || e.previousHash != (previous?.hash ?? genesis) {
                findings.append(.brokenLink(sequence: e.sequence))
            }
            previous = (e.sequence, e.hash)
        }
        if let expectedHead, previous?.hash != expectedHead { findings.append(.headMismatch(expected: expectedHead, found: previous?.hash)) }
        return findings
    }
}
