import Crypto
import Foundation
import Synchronization

/// A stored photo or document of a case step.
public struct Attachment: Sendable, Hashable, Codable {
    /// SHA-256 of the content, in hex: its name on disk and in timelines.
    public var hash: String
    public var type: String
    public var size: Int
}

/// Why an upload is refused.
public struct AttachmentRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Photos and documents of cases, stored on disk by content (the SHA-256 of the bytes names the
/// file), so the same photo sent twice is stored once and a file can never be changed under its
/// name. Only JPEG, PNG, WebP and PDF are taken, recognised by their content, not by what the
/// client says; a file is durable (written, synced, renamed into place) before it is acknowledged.
public struct AttachmentVault: Sendable {
    public let directory: URL
    public let maximumBytes: Int

    public static let defaultMaximumBytes = 10 * 1024 * 1024

    public init(directory: URL, maximumBytes: Int = defaultMaximumBytes) {
        self.directory = directory
        self.maximumBytes = maximumBytes
    }

    /// The media type the content is, or nil when it is none of the accepted ones.
    public static func detectType(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        if bytes.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        return nil
    }

    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    func url(_ hash: String) -> URL {
        directory.appendingPathComponent(String(hash.prefix(2)), isDirectory: true).appendingPathComponent(hash)
    }

    /// Stores the bytes (once) and returns what was stored. `declaredType`, when given, must agree
    /// with the content.
    public func store(_ bytes: [UInt8], declaredType: String? = nil) throws -> Attachment {
        guard !bytes.isEmpty else { throw AttachmentRefused(reason: "the file is empty") }
        guard bytes.count <= maximumBytes else {
            throw AttachmentRefused(reason: "the file has \(bytes.count) bytes; at most \(maximumBytes) are taken")
        }
        guard let type = Self.detectType(bytes) else {
            throw AttachmentRefused(reason: "the content is not a JPEG, PNG or WebP photo or a PDF document")
        }
        if let declared = declaredType?.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
           !declared.isEmpty, declared != "application/octet-stream", declared != type {
            throw AttachmentRefused(reason: "the content is \(type), not \(declared) as the request says")
        }
        let hash = ByteText.hex(SHA256.hash(data: bytes))
        let target = url(hash)
        let attachment = Attachment(hash: hash, type: type, size: bytes.count)
        if FileManager.default.fileExists(atPath: target.path) { return attachment }
        let folder = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
            throw AttachmentRefused(reason: "the attachment folder \(folder.path) is not writable")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: Data(bytes))
            try handle.synchronize()
            try handle.close()
            // rename(2) is atomic: readers see the whole file or none; a crash leaves only a temporary file.
            guard rename(temporary.path, target.path) == 0 else { throw AttachmentRefused(reason: "could not move the upload into place (errno \(errno))") }
            Self.syncDirectory(folder)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        return attachment
    }

    /// Makes the rename itself durable.
    private static func syncDirectory(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The stored attachments last written before `time` (their hashes), for expiring uploads no
    /// case cites.
    public func stored(before time: Date) -> [String] {
        guard let folders = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) else { return [] }
        var found: [String] = []
        for folder in folders {
            guard let files = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey]) else { continue }
            for file in files where Self.isHash(file.lastPathComponent) {
                if let modified = try? file.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, modified < time {
                    found.append(file.lastPathComponent)
                }
            }
        }
        return found.sorted()
    }

    /// Removes an attachment (an upload no case came to cite).
    public func remove(_ hash: String) throws {
        guard Self.isHash(hash) else { return }
        try? FileManager.default.removeItem(at: url(hash))
    }

    public func exists(_ hash: String) -> Bool { Self.isHash(hash) && FileManager.default.fileExists(atPath: url(hash).path) }

    /// The content and its type, nil when there is no such attachment.
    public func read(_ hash: String) throws -> (bytes: [UInt8], type: String)? {
        guard Self.isHash(hash), let data = FileManager.default.contents(atPath: url(hash).path) else { return nil }
        let bytes = [UInt8](data)
        return (bytes, Self.detectType(bytes) ?? "application/octet-stream")
    }
}

/// At most `limit` events per key in a sliding hour-long window (public intake: reports and
/// uploads per client address).
public final class RateLimiter: Sendable {
    public let limit: Int
    public let window: TimeInterval
    private let events = Mutex<[String: [Date]]>([:])

    public init(limit: Int, window: TimeInterval = 3600) {
        self.limit = limit
        self.window = window
    }

    /// Counts the event; false (and not counted) when the key is over its limit.
    public func allow(_ key: String, at time: Date = Date()) -> Bool {
        events.withLock { all in
            if all.count > 10_000 { all = all.filter { $0.value.last.map { time.timeIntervalSince($0) < window } ?? false } }
            var recent = (all[key] ?? []).filter { time.timeIntervalSince($0) < window }
            guard recent.count < limit else {
                all[key] = recent
                return false
            }
            recent.append(time)
            all[key] = recent
            return true
        }
    }
}
