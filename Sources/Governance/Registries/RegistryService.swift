import Foundation

/// The registries: imports that merge records by key and keep disagreeing values for review, and
/// reads by key and by address.
public final class RegistryService: Sendable {
    public let store: any CityBrainStore
    public let addresses: AddressService
    private let gate = WriteGate()

    public init(store: any CityBrainStore, addresses: AddressService) {
        self.store = store
        self.addresses = addresses
    }

    /// The address of a code or a text, as registry rows give it.
    public func resolveAddress(code: String?, text: String?, minimumScore: Double = 0.75) -> (address: StandardAddress?, reason: String?) {
        if let code {
            guard let a = addresses.address(code) else { return (nil, "no standard address has the code \(code)") }
            guard a.status == .inUse else { return (nil, "the address \(code) is retired") }
            return (a, nil)
        }
        guard let text else { return (nil, "no address: give an address code or an address text") }
        let m = addresses.match(text)
        guard let best = m.best else { return (nil, "the address was not found in the library: \(m.reason ?? "no match")") }
        if m.reason?.hasPrefix("ambiguous") == true { return (nil, "the address is ambiguous: \(m.reason!)") }
        guard best.score >= minimumScore else { return (nil, "the closest standard address scores only \(best.score): \(best.address.elements.localText)") }
        return (best.address, nil)
    }

    /// Stores read rows: new keys are added, known keys merged (``ProvenanceMerge``), duplicates in
    /// the file merged too. All or nothing unless `keepGoing`.
    public func importEntries(_ kind: RegistryKind, rows: [(line: Int, entry: RegistryEntry?, issues: [ImportIssue])],
                              options: RegistryImportOptions) async throws -> RegistryImportResult {
        try await gate.run {
            var issues = rows.flatMap(\.issues)
            let rejected = Set(issues.filter { $0.severity == .error }.map(\.line))
            if !rejected.isEmpty && !options.keepGoing { throw RegistryImportRejected(issues: issues) }
            let family = ImportFamily.of(kind)
            let basedOn = try await self.store.latestImportBatchID(family)
            let incoming = rows.compactMap(\.entry)
            // Existing records for the keys of the file, read in slices.
            var existing: [String: RegistryEntry] = [:]
            // A first load into an empty registry has nothing to merge with.
            var keys: [String] = []
            if try await self.store.registryCount(kind) > 0 {
                keys = Array(try await self.store.existingRegistryKeys(kind, keys: Array(Set(incoming.map(\.key)))))
            }
            var start = 0
            while start < keys.count {
                let slice = Array(keys[start..<min(keys.count, start + 500)])
                for e in try await self.store.registryEntries(kind, keys: slice) { existing[e.key] = e }
                start += 500
            }
            let batchKind = family.kinds[0]
            let now = Date()
            var merged: [String: RegistryEntry] = [:]
            merged.reserveCapacity(incoming.count)
            var order: [String] = []
            order.reserveCapacity(incoming.count)
            var conflicts: [FieldConflict] = []
            var inserted = 0, mergedCount = 0, unchanged = 0
            // A placeholder batch id so that rows of this file count as one batch in merging.
            let thisBatch: Int64 = -1
            for var e in incoming {
                e.importBatch = thisBatch
                e.updatedAt = now
                if let seen = merged[e.key] {
                    let (m, c) = ProvenanceMerge.merge(seen, with: e)
                    merged[e.key] = m
                    conflicts += c
                } else if let old = existing[e.key] {
                    let (m, c) = ProvenanceMerge.merge(old, with: e)
                    // Unchanged: same values, and any disagreement already on record.
                    var known = c.isEmpty
                    if !c.isEmpty && old.needsReview {
                        let recorded = Set(try await self.store.fieldConflicts(kind, key: e.key).map { "\($0.field)|\($0.value)|\($0.source)" })
                        known = c.allSatisfy { recorded.contains("\($0.field)|\($0.value)|\($0.source)") }
                    }
                    if known && m.fields == old.fields && m.addressCode == old.addressCode {
                        unchanged += 1
                        continue
                    }
                    merged[e.key] = m
                    order.append(e.key)
                    conflicts += c
                    mergedCount += 1
                } else {
                    merged[e.key] = e
                    order.append(e.key)
                    inserted += 1
                }
            }
            let flagged = Set(conflicts.map(\.key)).count
            for key in Set(conflicts.map(\.key)) {
                issues.append(ImportIssue(.warning, line: rows.first { $0.entry?.key == key }?.line ?? 0, column: options.column(RegistrySchema.of(kind).keyField),
                                          value: key, reason: "sources disagree on \(Set(conflicts.filter { $0.key == key }.map(\.field)).sorted().joined(separator: ", ")): both values kept, flagged for review"))
            }
            guard !order.isEmpty else {
                return RegistryImportResult(inserted: 0, merged: 0, unchanged: unchanged, flagged: 0, issues: issues, batch: nil)
            }
            let batch = ImportBatch(kind: batchKind, source: options.source + (options.fileName.isEmpty ? "" : " (\(options.fileName))"),
                                    actor: options.actor, importedAt: now, recordCount: order.count,
                                    note: "\(inserted) new, \(mergedCount) merged, \(flagged) flagged, \(rejected.count) rows rejected")
            let stored = try await self.store.saveRegistryEntries(order.map { merged[$0]! }, conflicts: conflicts, batch: batch, basedOnBatch: basedOn)
            return RegistryImportResult(inserted: inserted, merged: mergedCount, unchanged: unchanged, flagged: flagged, issues: issues, batch: stored)
        }
    }

    public func entry(_ kind: RegistryKind, key: String) async throws -> RegistryEntry? {
        try await store.registryEntries(kind, keys: [key]).first.map(withCurrentGrid)
    }

    public func entries(_ kind: RegistryKind, atAddresses codes: [String]) async throws -> [RegistryEntry] {
        try await store.registryEntries(kind, addressCodes: codes).map(withCurrentGrid)
    }

    /// The grid of a record is its address's, under today's boundaries.
    private func withCurrentGrid(_ e: RegistryEntry) -> RegistryEntry {
        var e = e
        e.gridCode = addresses.address(e.addressCode)?.gridCode
        return e
    }
}
