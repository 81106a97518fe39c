import Foundation
import Governance
import Logging
import SQLiteStore
import Server

/// Opens and migrates the store, then loads the regions and the address library into memory.
func openServices(_ options: StoreOptions, progress: Progress? = nil) async throws -> CityBrainServices {
    progress?.update("opening \(options.database)")
    let store = try SQLiteStore(path: options.database)
    try await store.migrate()
    let regions = RegionService(store: store)
    progress?.update("loading regions and building the grid index")
    try await regions.load()
    let addresses = AddressService(store: store, regions: regions)
    progress?.update("loading the address library")
    try await addresses.load()
    let layers = LayerService(store: store, addresses: addresses)
    try await layers.load()
    return CityBrainServices(store: store, regions: regions, addresses: addresses, layers: layers, accounts: AccountService(store: store))
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
