import Foundation
import GeoKit

/// One checked record of an import, with the line of the file it came from, in the form stores
/// keep: its fields as one JSON object without those its key implies (``RegistrySchema/isImplied(field:value:kind:key:)``).
///
/// The encoding is done where the record is read — on every core, beside the import — so that
/// the store's single writer only binds values.
public struct RegistryRow: Sendable {
    public let line: Int
    public let kind: RegistryKind
    public let key: String
    public let addressCode: String
    public let category: String?
    public let tags: String?
    public let source: String
    /// Sources of the fields that differ from `source`.
    public let fieldSources: [String: String]
    public let needsReview: Bool
    public let storedFields: String

    /// A record already in its stored form (stores' own tests write records as they are).
    public init(line: Int, entry: RegistryEntry, tagsColumn: String?? = nil) {
        self.line = line
        kind = entry.kind
        key = entry.key
        addressCode = entry.addressCode
        category = entry.category
        tags = tagsColumn ?? entry.fields["tags"]
        source = entry.source
        fieldSources = entry.fieldSources
        needsReview = entry.needsReview
        storedFields = RegistryFieldsEncoding.encode(entry)
    }

    /// A record in clear, sealed for storage: personal fields encrypted, a personal key and
    /// personal tags replaced by blind indexes.
    public init(line: Int, sealing entry: RegistryEntry, with vault: PersonalDataVault) {
        self.init(line: line, entry: vault.sealed(entry), tagsColumn: .some(vault.sealedTagsColumn(entry)))
    }

    /// The record again, in its stored form (for merging with a stored one).
    public var entry: RegistryEntry {
        RegistryEntry(kind: kind, key: key, addressCode: addressCode, gridCode: nil,
                      fields: (try? RegistryFieldsEncoding.decode(storedFields, kind: kind, key: key)) ?? [:],
                      fieldSources: fieldSources, source: source, importBatch: nil, updatedAt: Date(), needsReview: needsReview)
    }
}

/// The fields of a record as stores keep them: a JSON object of text values, without the fields
/// the record's key implies.
public enum RegistryFieldsEncoding {
    public static func encode(_ e: RegistryEntry) -> String {
        var w = JSONWriter(reservingCapacity: 256)
        w.raw("{")
        var first = true
        for (name, value) in e.fields where !RegistrySchema.isImplied(field: name, value: value, kind: e.kind, key: e.key) {
            if !first { w.raw(",") }
            first = false
            w.string(name)
            w.raw(":")
            w.string(value)
        }
        w.raw("}")
        return w.string
    }

    public struct Malformed: Error {}

    public static func decode(_ text: String, kind: RegistryKind, key: String) throws -> [String: String] {
        RegistrySchema.restoringImpliedFields(try textObject(text), kind: kind, key: key)
    }

    /// A JSON object whose values are all text (stored fields, field sources).
    public static func textObject(_ text: String) throws -> [String: String] {
        guard let object = try JSONParser.parse(text).objectValue else { throw Malformed() }
        var result: [String: String] = [:]
        for (name, value) in object {
            guard let v = value.stringValue else { throw Malformed() }
            result[name] = v
        }
        return result
    }
}

/// Checked records on their way to the store, a chunk at a time, so that reading and checking a
/// file overlaps with writing it and a district's millions of records never sit in memory at once.
///
/// The store pulls with ``next()`` from the thread of its write transaction; the producer pushes
/// from its own thread. `next` blocks until a chunk is there, returns nil at the end, and throws
/// what the producer finished with (an import refused for bad rows rolls the transaction back).
public final class RegistryFeed: Sendable {
    private let chunks: HandOff<[RegistryRow]>

    /// `capacity`: chunks waiting at most; the producer waits when the store falls behind.
    public init(capacity: Int = 4) {
        chunks = HandOff(capacity: capacity)
    }

    /// A feed of records already in memory.
    public convenience init(_ rows: [RegistryRow], note: String = "", chunkSize: Int = 10_000) {
        self.init(capacity: .max)
        var start = 0
        while start < rows.count {
            send(Array(rows[start..<min(rows.count, start + chunkSize)]))
            start += chunkSize
        }
        finish(note: note)
    }

    /// Hands a chunk to the store; false when the store has stopped reading (it failed or is done),
    /// and the producer should stop.
    @discardableResult
    public func send(_ chunk: [RegistryRow]) -> Bool {
        chunk.isEmpty ? !chunks.isClosed : chunks.send(chunk)
    }

    /// No more chunks; `error`, if any, is thrown to the store instead of the end. `note` goes into
    /// the batch's note (rows the producer rejected, say).
    public func finish(throwing error: (any Error)? = nil, note: String = "") {
        chunks.finish(throwing: error, note: note)
    }

    /// The next chunk, nil at the end. Blocks.
    public func next() throws -> [RegistryRow]? { try chunks.next() }

    /// What the producer said when it finished.
    public var note: String { chunks.note }

    /// Seconds the store waited for chunks and the producer waited for room: which side bounds the import.
    public var waits: (store: Double, producer: Double) { chunks.waits }

    /// The store reads no more: a waiting producer is released and further sends return false.
    public func close() { chunks.close() }
}

/// A bounded queue between two threads that block: one sends, one takes.
final class HandOff<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var finished = false
    private var failure: (any Error)?
    private var closed = false
    private var finishingNote = ""
    private var takerWaiting: UInt64 = 0
    private var senderWaiting: UInt64 = 0
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// False when the taker has gone.
    func send(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if items.count >= capacity && !closed {
            let start = DispatchTime.now().uptimeNanoseconds
            while items.count >= capacity && !closed { condition.wait() }
            senderWaiting += DispatchTime.now().uptimeNanoseconds - start
        }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    func finish(throwing error: (any Error)? = nil, note: String = "") {
        condition.lock()
        finished = true
        failure = error
        finishingNote = note
        condition.broadcast()
        condition.unlock()
    }

    func next() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty && !finished {
            let start = DispatchTime.now().uptimeNanoseconds
            while items.isEmpty && !finished { condition.wait() }
            takerWaiting += DispatchTime.now().uptimeNanoseconds - start
        }
        if !items.isEmpty {
            let item = items.removeFirst()
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return nil
    }

    func close() {
        condition.lock()
        closed = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    var note: String {
        condition.lock()
        defer { condition.unlock() }
        return finishingNote
    }

    var waits: (store: Double, producer: Double) {
        condition.lock()
        defer { condition.unlock() }
        return (Double(takerWaiting) / 1e9, Double(senderWaiting) / 1e9)
    }
}

/// What a store did with a feed.
public struct RegistryWriteResult: Sendable {
    public var inserted = 0
    /// Records that existed before and changed.
    public var merged = 0
    /// Records that existed before and that the import left as they were.
    public var unchanged = 0
    /// Records whose sources now disagree: the line that brought the disagreement and the fields.
    public var flagged: [(key: String, line: Int, fields: [String])] = []
    /// Nil when nothing was written.
    public var batch: ImportBatch?
    /// Seconds spent building indexes after the rows were in (a first load builds them at the end).
    public var indexing = 0.0

    public init() {}
}
