import ArgumentParser
import Foundation
import Governance
import Logging
import PostgresStore
import SQLiteStore
import Server

/// Opens the store the options name (a SQLite file, or PostgreSQL by URL) and migrates it.
func openStore(_ options: StoreOptions) async throws -> any CityBrainStore {
    let store: any CityBrainStore
    if options.isPostgres {
        do {
            store = try PostgresStore(url: options.database)
        } catch let error as PostgresStore.InvalidURL {
            throw ValidationError(error.description)
        }
    } else {
        store = try SQLiteStore(path: options.database)
    }
    try await store.migrate()
    return store
}

/// Opens and migrates the store, then loads the regions and the address library into memory.
func openServices(_ options: StoreOptions, progress: Progress? = nil) async throws -> CityBrainServices {
    progress?.update("opening \(options.displayName)")
    let store = try await openStore(options)
    let regions = RegionService(store: store)
    progress?.update("loading regions and building the grid index")
    try await regions.load()
    let addresses = AddressService(store: store, regions: regions)
    progress?.update("loading the address library")
    try await addresses.load()
    guard options.layerMinimumCount >= 1 else { throw ValidationError("--layer-minimum-count is at least 1") }
    let layers = LayerService(store: store, addresses: addresses, vault: try await openVault(options, store: store), minimumPersonCount: options.layerMinimumCount)
    try await layers.load()
    let services = CityBrainServices(store: store, regions: regions, addresses: addresses, layers: layers, accounts: AccountService(store: store),
                                     attachments: AttachmentVault(directory: try options.attachmentFolder()))
    try await services.cases.load()
    return services
}

/// The keys of the personal data: from the key file, or CITYBRAIN_KEYS; a new key file for a
/// database that has never sealed anything. A database with sealed data and no matching key is
/// refused: personal data would be unreadable, or sealed under two different keys.
func openVault(_ options: StoreOptions, store: any CityBrainStore) async throws -> PersonalDataVault {
    let path = options.keyFilePath
    let check = try await store.setting(KeyCheck.setting)
    let ring: KeyRing
    let origin: String
    if let path, FileManager.default.fileExists(atPath: path) {
        (ring, origin) = (try KeyRing.load(from: URL(fileURLWithPath: path)), path)
    } else if let text = ProcessInfo.processInfo.environment["CITYBRAIN_KEYS"], !text.isEmpty {
        (ring, origin) = (try KeyRing(decoding: Data(base64Encoded: text) ?? Data(text.utf8), origin: "CITYBRAIN_KEYS"), "CITYBRAIN_KEYS")
    } else if check == nil {
        guard let path else {
            throw ValidationError("with PostgreSQL give the key file with --key-file or CITYBRAIN_KEY_FILE (a new one is written there), or its content in CITYBRAIN_KEYS: every instance needs the same keys")
        }
        ring = KeyRing.generate()
        try ring.save(to: URL(fileURLWithPath: path))
        origin = path
        printError("Created the key file \(path): it protects the personal data in \(options.displayName). Keep a copy apart from the database; without it the personal data cannot be read.")
    } else {
        throw ValidationError("\(options.displayName) holds encrypted personal data, but there is no key file\(path.map { " at \($0)" } ?? "") (give --key-file or CITYBRAIN_KEYS)")
    }
    let vault = PersonalDataVault(ring)
    try await KeyCheck.verify(vault, stored: check, store: store, origin: origin)
    return vault
}

func makeLogger(_ level: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = Logger.Level(rawValue: level) ?? .info
        return handler
    }
    return Logger(label: "citybrain")
}

/// One status line on standard error for work that may take more than a second: rewritten in
/// place on a terminal, printed as lines (at most one a second) otherwise.
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast
    private let started = Date()
    private var shown = false

    func update(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let elapsed = String(format: "%5.1fs", now.timeIntervalSince(started))
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(elapsed)] \(message)".utf8))
            shown = true
        } else if now.timeIntervalSince(lastLine) >= 1 || !shown {
            FileHandle.standardError.write(Data("[\(elapsed)] \(message)\n".utf8))
            lastLine = now
            shown = true
        }
    }

    func finish(_ message: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        if terminal && shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if let message { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
        shown = false
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Who acts when the command line writes: the operating-system user.
var cliActor: String { "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")" }

/// After a bulk write into a SQLite file: the WAL is copied into the database and cut back, so a
/// large import does not leave gigabytes of log beside the file (PostgreSQL manages its own).
func checkpointAfterBulkWrite(_ store: any CityBrainStore) async throws {
    if let sqlite = store as? SQLiteStore { try await sqlite.checkpoint() }
}

/// The key that signs audit checkpoints: read from its file, or made there when `create` (the
/// first checkpoint); nil when there is none and none may be made.
func openAuditKey(_ options: StoreOptions, create: Bool) throws -> AuditCheckpointKey? {
    guard let path = options.auditKeyPath else {
        if create { throw ValidationError("with PostgreSQL give the audit key file with --audit-key-file or CITYBRAIN_AUDIT_KEY_FILE (the same for every instance)") }
        return nil
    }
    let url = URL(fileURLWithPath: path)
    if FileManager.default.fileExists(atPath: path) { return try AuditCheckpointKey.load(from: url) }
    guard create else { return nil }
    let key = AuditCheckpointKey.generate()
    try key.save(to: url)
    printError("Created the audit key file \(path): it signs the audit trail's checkpoints. Keep it apart from the database (an insider who holds both could forge checkpoints).")
    return key
}
