import Crypto
import Foundation

/// Why keys cannot be used, said so an operator can act.
public struct KeyRingError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The secrets that protect personal data at rest: numbered versions of a 256-bit master secret,
/// one of them current. Older versions stay until everything sealed with them has been resealed
/// (`citybrain keys rotate`). Kept in a key file (owner-readable only) or the CITYBRAIN_KEYS
/// environment variable, never in the database.
public struct KeyRing: Sendable, Equatable {
    public private(set) var secrets: [Int: Data]
    public private(set) var current: Int

    public init(secrets: [Int: Data], current: Int) throws(KeyRingError) {
        guard let key = secrets[current] else { throw KeyRingError("the current key version \(current) is not in the key ring") }
        guard key.count == 32, secrets.values.allSatisfy({ $0.count == 32 }) else { throw KeyRingError("every key is 32 bytes (256 bits)") }
        self.secrets = secrets
        self.current = current
    }

    public static func generate() -> KeyRing {
        var generator = SystemRandomNumberGenerator()
        let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return try! KeyRing(secrets: [1: secret], current: 1)
    }

    /// A ring with a new current version; the old ones stay for opening what they sealed.
    public func rotated() -> KeyRing {
        var next = self
        let version = (secrets.keys.max() ?? 0) + 1
        next.secrets[version] = KeyRing.generate().secrets[1]!
        next.current = version
        return next
    }

    /// Only the current version (once nothing sealed with the others remains).
    public func retiringOldVersions() -> KeyRing { try! KeyRing(secrets: [current: secrets[current]!], current: current) }

    struct File: Codable {
        var format: String
        var current: Int
        var keys: [String: String]
    }

    public static let format = "citybrain-keys-1"

    public func encoded() -> Data {
        let file = File(format: Self.format, current: current,
                        keys: Dictionary(uniqueKeysWithValues: secrets.map { (String($0.key), $0.value.base64EncodedString()) }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try! encoder.encode(file)
    }

    public init(decoding data: Data, origin: String) throws(KeyRingError) {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch { throw KeyRingError("\(origin): not a CityBrain key file (\(error))") }
        guard file.format == Self.format else { throw KeyRingError("\(origin): format \(file.format), expected \(Self.format)") }
        var secrets: [Int: Data] = [:]
        for (version, text) in file.keys {
            guard let v = Int(version), let key = Data(base64Encoded: text) else { throw KeyRingError("\(origin): key \(version) is not base64") }
            secrets[v] = key
        }
        do { try self.init(secrets: secrets, current: file.current) } catch { throw KeyRingError("\(origin): \(error.reason)") }
    }

    /// Reads a key file; refuses one that others may read.
    public static func load(from url: URL) throws(KeyRingError) -> KeyRing {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw KeyRingError("\(url.path): cannot read the key file") }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw KeyRingError("\(url.path): the key file is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        return try KeyRing(decoding: data, origin: url.path)
    }

    /// Writes the file atomically, readable by its owner only.
    public func save(to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: encoded(), attributes: [.posixPermissions: 0o600]) else {
            throw KeyRingError("\(temporary.path): cannot write the key file")
        }
        if rename(temporary.path, url.path) != 0 { throw KeyRingError("\(url.path): cannot replace the key file (errno \(errno))") }
    }
}

/// Seals personal fields for storage and opens them again; computes blind indexes so that "find
/// by ID number" works on sealed data.
///
/// Sealing is AES-256-GCM with a synthetic nonce (an HMAC of the field and the value): the same
/// value seals to the same text, so a store can tell an unchanged field from a changed one and
/// merge records without ever seeing them in clear. The price is that equal values are visible as
/// equal, which the blind index of the ID number shows anyway.
public struct PersonalDataVault: Sendable {
    public let ring: KeyRing
    private let keys: [Int: VersionKeys]

    /// SymmetricKey is an immutable value (copy-on-write bytes) that swift-crypto 3 does not mark
    /// Sendable; these are set once in `init` and only read after.
    struct VersionKeys: @unchecked Sendable {
        var seal: SymmetricKey
        /// Keyed once: an HMAC's key setup costs as much as the MAC of a short value, so each
        /// use starts from a copy of these.
        var nonce: HMAC<SHA256>
        var index: HMAC<SHA256>
    }

    public init(_ ring: KeyRing) {
        self.ring = ring
        var keys: [Int: VersionKeys] = [:]
        for (version, secret) in ring.secrets {
            let master = SymmetricKey(data: secret)
            func derive(_ label: String) -> SymmetricKey {
                HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("citybrain \(label)".utf8), outputByteCount: 32)
            }
            keys[version] = VersionKeys(seal: derive("seal"), nonce: HMAC(key: derive("nonce")), index: HMAC(key: derive("index")))
        }
        self.keys = keys
    }

    static let prefix = "enc:"

    public static func isSealed(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// `enc:<version>:<base64url of nonce, ciphertext and tag>`.
    public func seal(_ value: String, field: String) -> String {
        let version = ring.current
        let k = keys[version]!
        var material = Array(field.utf8)
        material.append(0)
        material.append(contentsOf: value.utf8)
        var hmac = k.nonce
        hmac.update(data: material)
        let mac = hmac.finalize()
        let nonce = try! AES.GCM.Nonce(data: Array(mac).prefix(12))
        let box = try! AES.GCM.seal(Array(value.utf8), using: k.seal, nonce: nonce, authenticating: Array(field.utf8))
        return Self.prefix + String(version) + ":" + ByteText.base64url(box.combined!)
    }

    public func open(_ sealed: String, field: String) throws(KeyRingError) -> String {
        guard sealed.hasPrefix(Self.prefix) else { throw KeyRingError("field \(field) is not sealed") }
        let body = sealed.dropFirst(Self.prefix.count)
        guard let colon = body.firstIndex(of: ":"), let version = Int(body[..<colon]) else { throw KeyRingError("field \(field): malformed sealed value") }
        guard let k = keys[version] else { throw KeyRingError("field \(field) was sealed with key version \(version), which the key ring does not hold") }
        guard let data = ByteText.bytes(base64url: body[body.index(after: colon)...]) else { throw KeyRingError("field \(field): malformed sealed value") }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: k.seal, authenticating: Array(field.utf8)), as: UTF8.self)
        } catch {
            throw KeyRingError("field \(field): the sealed value does not open with key version \(version) (altered, or a different key)")
        }
    }

    /// A keyed hash of the value under the current version: equal values, equal indexes; without
    /// the key, nothing to learn or to guess against (ID numbers are few enough to enumerate).
    public func blindIndex(_ value: String, purpose: String) -> String {
        var material = Array(purpose.utf8)
        material.append(0)
        material.append(contentsOf: value.utf8)
        var hmac = keys[ring.current]!.index
        hmac.update(data: material)
        return "b" + ByteText.hex(hmac.finalize().prefix(16))
    }

    // MARK: registry records

    /// The key a store keeps for a record: the blind index when the key is personal.
    public func storageKey(_ kind: RegistryKind, key: String) -> String {
        RegistrySchema.keyIsPersonal(kind) ? blindIndex(key, purpose: "key.\(kind.rawValue)") : key
    }

    /// The tags as a store can match them: blind indexes when the tags are personal.
    public func storageTags(_ kind: RegistryKind, tags: [String]) -> [String] {
        RegistrySchema.personalFields[kind]?["tags"] == nil ? tags : tags.map { blindIndex($0, purpose: "tag.\(kind.rawValue)") }
    }

    /// The record as stores keep it: personal fields sealed, a personal key replaced by its blind
    /// index (the key itself stays, sealed, among the fields) and what the key implies dropped.
    public func sealed(_ entry: RegistryEntry) -> RegistryEntry {
        let personal = RegistrySchema.personalFields[entry.kind] ?? [:]
        guard !personal.isEmpty else { return entry }
        var e = entry
        // An erased person's key is random and names no one: it stays as it is.
        if RegistrySchema.keyIsPersonal(entry.kind) && !entry.isErased {
            for (name, value) in entry.fields where name != RegistrySchema.keyFields[entry.kind]
                && RegistrySchema.isImplied(field: name, value: value, kind: entry.kind, key: entry.key) {
                e.fields[name] = nil
            }
            e.fields[RegistrySchema.keyFields[entry.kind]!] = entry.key
            e.key = storageKey(entry.kind, key: entry.key)
        }
        for (name, value) in e.fields {
            guard let c = personal[name] else { continue }
            e.fields[name] = sealField(value, name: name, class: c)
        }
        return e
    }

    /// Tags are sealed one by one, so that adding up the tags of two sources (which stores do on
    /// merging) works on the sealed tags as it does on clear ones.
    func sealField(_ value: String, name: String, class c: PersonalDataClass) -> String {
        guard c == .sensitiveTags else { return seal(value, field: name) }
        return value.split(separator: "、").map { seal(String($0), field: name) }.joined(separator: "、")
    }

    func openField(_ value: String, name: String, class c: PersonalDataClass) throws(KeyRingError) -> String {
        guard c == .sensitiveTags else { return try open(value, field: name) }
        var tags: [String] = []
        for part in value.split(separator: "、") { tags.append(try open(String(part), field: name)) }
        return tags.joined(separator: "、")
    }

    /// The stored form of a record's tags column.
    public func sealedTagsColumn(_ entry: RegistryEntry) -> String? {
        guard entry.fields["tags"] != nil else { return nil }
        return storageTags(entry.kind, tags: entry.tags).joined(separator: "、")
    }

    /// The record in clear, as it was before ``sealed(_:)``.
    public func opened(_ entry: RegistryEntry) throws(KeyRingError) -> RegistryEntry {
        let personal = RegistrySchema.personalFields[entry.kind] ?? [:]
        guard !personal.isEmpty else { return entry }
        var e = entry
        for (name, value) in entry.fields {
            guard let c = personal[name] else { continue }
            e.fields[name] = try openField(value, name: name, class: c)
        }
        if RegistrySchema.keyIsPersonal(entry.kind), let key = e.fields[RegistrySchema.keyFields[entry.kind]!] {
            e.key = key
            e.fields = RegistrySchema.restoringImpliedFields(e.fields, kind: e.kind, key: key)
        }
        return e
    }

    /// A recorded claim in clear.
    public func opened(_ claim: FieldConflict, kind: RegistryKind) throws(KeyRingError) -> FieldConflict {
        guard let c = RegistrySchema.personalFields[kind]?[claim.field] else { return claim }
        var opened = claim
        opened.value = try openField(claim.value, name: claim.field, class: c)
        return opened
    }

}

/// A sealed known text kept in the store's settings: tells at start-up whether a key ring is the
/// one the database was sealed with, before anything is written with the wrong key.
public enum KeyCheck {
    public static let setting = "privacy.key-check"
    static let text = "citybrain key check"

    /// Records the check for a new database; refuses a ring that cannot open the recorded one.
    public static func verify(_ vault: PersonalDataVault, stored: String?, store: any SettingsStore, origin: String) async throws {
        guard let stored else {
            try await store.setSetting(setting, vault.seal(text, field: setting))
            return
        }
        guard (try? vault.open(stored, field: setting)) == text else {
            throw KeyRingError("\(origin): these keys do not open the personal data of this database (a different key file?)")
        }
    }

    /// After a rotation: the check sealed with the new current version.
    public static func record(_ vault: PersonalDataVault, store: any SettingsStore) async throws {
        try await store.setSetting(setting, vault.seal(text, field: setting))
    }
}
