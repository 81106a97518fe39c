import Foundation

/// The registries whose records sit at a standard address (and so in a grid).
public enum RegistryKind: String, Sendable, CaseIterable, Codable {
    case person, house, enterprise, place

    public var chineseName: String {
        switch self {
        case .person: "人口"
        case .house: "房屋"
        case .enterprise: "企业"
        case .place: "重点场所"
        }
    }
}

/// One record of a registry, with where each of its values came from.
///
/// Values are kept as normalised text by field name (the field schema of the kind says which
/// fields exist and how each is checked). Provenance is part of the record: the source system and
/// batch that last wrote it, and for every field the source of its value. When another source
/// sends a different value for a field, the value is not overwritten: both are kept as claims and
/// the record is flagged for review ("数据真伪莫辨").
public struct RegistryEntry: Sendable, Hashable {
    public var kind: RegistryKind
    /// The identifying key: ID number, credit code, house or place code.
    public var key: String
    public var addressCode: String
    public var gridCode: RegionCode?
    public var fields: [String: String]
    /// Field (or "address") → source system of its current value, for the fields whose value came
    /// from a source other than the record's `source`; the others are the record's.
    public var fieldSources: [String: String]
    public var source: String
    public var importBatch: Int64?
    public var updatedAt: Date
    public var needsReview: Bool

    public init(kind: RegistryKind, key: String, addressCode: String, gridCode: RegionCode?, fields: [String: String],
                fieldSources: [String: String], source: String, importBatch: Int64?, updatedAt: Date, needsReview: Bool = false) {
        self.kind = kind
        self.key = key
        self.addressCode = addressCode
        self.gridCode = gridCode
        self.fields = fields
        self.fieldSources = fieldSources
        self.source = source
        self.importBatch = importBatch
        self.updatedAt = updatedAt
        self.needsReview = needsReview
    }

    /// The source system of a field's current value.
    public func source(of field: String) -> String { fieldSources[field] ?? source }

    /// The tags (独居老人, 残疾人 …) as a list.
    public var tags: [String] { (fields["tags"] ?? "").split(separator: "、").map(String.init) }
    /// The field layers and statistics group by: residence type, house use, industry, place kind.
    public var category: String? { fields[RegistrySchema.categoryFields[kind] ?? ""] }
}

/// Two sources disagreeing on one field of one record.
public struct FieldConflict: Sendable, Hashable {
    public var kind: RegistryKind
    public var key: String
    public var field: String
    public var value: String
    public var source: String
    public var importBatch: Int64?
    public var observedAt: Date

    public init(kind: RegistryKind, key: String, field: String, value: String, source: String, importBatch: Int64?, observedAt: Date) {
        self.kind = kind
        self.key = key
        self.field = field
        self.value = value
        self.source = source
        self.importBatch = importBatch
        self.observedAt = observedAt
    }
}

/// Merges what a source says about a record into what is known.
public enum ProvenanceMerge {
    /// The tags of both, in order, each once: what the merge does to the tags field, done by the
    /// stores to their tags column (which may hold blind indexes of the tags).
    public static func tagUnion(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        var tags = a.split(separator: "、").map(String.init)
        for t in (b ?? "").split(separator: "、").map(String.init) where !tags.contains(t) { tags.append(t) }
        return tags.joined(separator: "、")
    }

    /// The merged record and the claims to keep. A field is overwritten when it was empty or when
    /// its value came from the same source earlier than this batch (a source may correct itself);
    /// a different value from another source — or from the same batch, a file contradicting itself
    /// — keeps the current value, records both values as claims and flags the record for review.
    public static func merge(_ existing: RegistryEntry, with incoming: RegistryEntry) -> (RegistryEntry, [FieldConflict]) {
        var merged = existing
        var conflicts: [FieldConflict] = []
        for (field, value) in incoming.fields.sorted(by: { $0.key < $1.key }) {
            // Tags are what each source knows of a person or place: they add up, they do not contradict.
            if field == "tags", let current = existing.fields[field] {
                var tags = current.split(separator: "、").map(String.init)
                for t in value.split(separator: "、").map(String.init) where !tags.contains(t) { tags.append(t) }
                merged.fields[field] = tags.joined(separator: "、")
                continue
            }
            guard let current = existing.fields[field] else {
                merged.fields[field] = value
                merged.fieldSources[field] = incoming.source == merged.source ? nil : incoming.source
                continue
            }
            if current == value { continue }
            let currentSource = existing.source(of: field)
            let sameSourceEarlier = currentSource == incoming.source && existing.importBatch != incoming.importBatch
            if sameSourceEarlier {
                merged.fields[field] = value
                continue
            }
            conflicts.append(FieldConflict(kind: existing.kind, key: existing.key, field: field, value: current, source: currentSource,
                                           importBatch: existing.importBatch, observedAt: existing.updatedAt))
            conflicts.append(FieldConflict(kind: existing.kind, key: existing.key, field: field, value: value, source: incoming.source,
                                           importBatch: incoming.importBatch, observedAt: incoming.updatedAt))
            merged.needsReview = true
        }
        // The address is a field like the others; the grid follows it.
        if incoming.addressCode != existing.addressCode {
            let currentSource = existing.source(of: "address")
            if currentSource == incoming.source && existing.importBatch != incoming.importBatch {
                merged.addressCode = incoming.addressCode
                merged.gridCode = incoming.gridCode
            } else {
                conflicts.append(FieldConflict(kind: existing.kind, key: existing.key, field: "address", value: existing.addressCode,
                                               source: currentSource, importBatch: existing.importBatch, observedAt: existing.updatedAt))
                conflicts.append(FieldConflict(kind: existing.kind, key: existing.key, field: "address", value: incoming.addressCode,
                                               source: incoming.source, importBatch: incoming.importBatch, observedAt: incoming.updatedAt))
                merged.needsReview = true
            }
        }
        merged.importBatch = incoming.importBatch
        merged.updatedAt = incoming.updatedAt
        return (merged, conflicts)
    }
}

extension ProvenanceMerge {
    /// What becomes of a record when one with its key is already stored.
    public enum Outcome: Sendable {
        /// Nothing new: same values, and any disagreement already on record.
        case unchanged
        /// A record stored before this import, changed.
        case merged(RegistryEntry, [FieldConflict])
        /// A second row of the same import for the key (the file repeats or contradicts itself).
        case repeated(RegistryEntry, [FieldConflict])
    }

    /// Merges `incoming` into the `stored` record. `recordedClaims` reads the claims on record for
    /// the key; it is called only when the record is already flagged and new claims arise.
    public static func resolve(stored: RegistryEntry, incoming: RegistryEntry,
                               recordedClaims: () throws -> [FieldConflict]) rethrows -> Outcome {
        let (merged, claims) = merge(stored, with: incoming)
        if stored.importBatch != nil && stored.importBatch == incoming.importBatch { return .repeated(merged, claims) }
        var known = claims.isEmpty
        if !claims.isEmpty && stored.needsReview {
            let recorded = Set(try recordedClaims().map { "\($0.field)|\($0.value)|\($0.source)" })
            known = claims.allSatisfy { recorded.contains("\($0.field)|\($0.value)|\($0.source)") }
        }
        if known && merged.fields == stored.fields && merged.addressCode == stored.addressCode && merged.fieldSources == stored.fieldSources {
            return .unchanged
        }
        return .merged(merged, claims)
    }
}
