import Foundation
import GeoKit
import Governance
import Testing

/// What every backend must do with the registries and layers beyond a plain import: the merge rules
/// inside one feed, layers and the counts they are drawn from, the census, the reads erasure and
/// retention make, erasure itself and key rotation.
extension StoreBehaviour {
    public static let registryStoreChecks: [(name: String, check: @Sendable (RegistryFactory) async throws -> Void)] = [
        ("an import merges keys repeated in a chunk, across chunks and stored before, in feed order", registryMergeRules),
        ("records with tabs, backslashes, quotes and line breaks round-trip", registryOddText),
        ("layers are saved, replaced in place and removed, each change audited", layerDefinitions),
        ("layer counts per address: a category or a whole tag, narrowed by keys", layerCounts),
        ("the census counts people, households, tagged people, enterprises and places per address", censusByAddress),
        ("houses are found by their owner's sealed ID number", housesByOwner),
        ("records of a category not written since a date: oldest first, counted, erased ones left out", registryRetentionQueries),
        ("replacing records drops their claims and appends the audit, all or nothing", registryReplacement),
        ("rewriting every record and claim keeps the claims with their records, all or nothing", registryRewrite),
    ]

    static func registryRecord(_ kind: RegistryKind, _ key: String, at address: String, _ fields: [String: String], source: String,
                       fieldSources: [String: String] = [:], needsReview: Bool = false) -> RegistryEntry {
        RegistryEntry(kind: kind, key: key, addressCode: address, gridCode: nil, fields: fields, fieldSources: fieldSources, source: source,
                      importBatch: nil, updatedAt: t0, needsReview: needsReview)
    }

    /// One import of the records (as they are stored), based on the latest batch of their family.
    @discardableResult
    static func importRecords(_ store: any TerritoryStore & RegistryStore, _ kind: RegistryKind, _ records: [RegistryEntry], at time: Date = t1,
                      source: String = "test.csv", chunkSize: Int = 10_000) async throws -> RegistryWriteResult {
        let family = ImportFamily.of(kind)
        let rows = records.enumerated().map { RegistryRow(line: $0.offset + 2, entry: $0.element) }
        return try await store.writeRegistry(kind, feed: RegistryFeed(rows, chunkSize: chunkSize),
                                             batch: ImportBatch(kind: family.kinds[0], source: source, actor: "tester", importedAt: time, recordCount: 0),
                                             basedOnBatch: try await store.latestImportBatchID(family))
    }

    static func adminAudit(_ action: String, _ target: String) -> AuditRecord {
        AuditRecord(time: t1, actor: "admin", action: action, target: target)
    }

    static func addressCounts(_ store: any RegistryStore & LayerStore, _ kind: RegistryKind, _ rule: LayerRule) async throws -> [String: Int] {
        Dictionary(try await store.registryAddressCounts(kind, rule: rule).map { ($0.addressCode, $0.count) }, uniquingKeysWith: +)
    }

    @Sendable static func registryMergeRules(_ make: RegistryFactory) async throws {
        let store = try await make()
        func house(_ key: String, _ fields: [String: String], _ source: String = "住建", at address: String = "A1") -> RegistryEntry {
            registryRecord(.house, key, at: address, fields, source: source)
        }
        // Stored before: C and D by another department, E by the same one.
        _ = try await importRecords(store, .house, [house("C", ["use": "rented", "area": "50.00"], "市场监管"), house("D", ["use": "vacant"], "市场监管")], at: t0)
        _ = try await importRecords(store, .house, [house("E", ["use": "rented"])], at: t0)
        // Two rows a chunk: [A A] [B A] [C C] [D E].
        let feed = [
            house("A", ["use": "rented"]), house("A", ["use": "vacant"]),  // the file contradicts itself within a chunk
            house("B", ["use": "vacant"]), house("A", ["use": "commercial"]),  // and across chunks
            house("C", ["use": "rented", "area": "60.00"]), house("C", ["use": "rented", "area": "60.00"]),  // another source, twice
            house("D", ["use": "vacant"], "市场监管"),  // nothing new
            house("E", ["use": "rented"], at: "A2"),  // the same source moves it
        ]
        let result = try await importRecords(store, .house, feed, chunkSize: 2)
        #expect(result.inserted == 2 && result.merged == 2 && result.unchanged == 1)
        #expect(result.flagged.map { "\($0.key) \($0.line) \($0.fields)" } == ["A 3 [\"use\"]", "C 6 [\"area\"]"])
        #expect(result.batch?.recordCount == 4)
        let batch = try #require(result.batch?.id)
        let stored = Dictionary(uniqueKeysWithValues: try await store.registryEntries(.house, keys: ["A", "B", "C", "D", "E"]).map { ($0.key, $0) })
        #expect(stored.count == 5)
        // The first row of a key is kept; what contradicts it is on record.
        #expect(stored["A"]?.fields["use"] == "rented" && stored["A"]?.needsReview == true && stored["A"]?.importBatch == batch)
        #expect(try await store.fieldConflicts(.house, key: "A").map(\.value) == ["rented", "vacant", "commercial"])
        #expect(stored["B"]?.needsReview == false)
        #expect(stored["C"]?.fields["area"] == "50.00" && stored["C"]?.needsReview == true)
        #expect(try await store.fieldConflicts(.house, key: "C").map { "\($0.value) \($0.source)" } == ["50.00 市场监管", "60.00 住建"])
        #expect(stored["D"]?.importBatch != batch, "an unchanged record is not rewritten")
        #expect(stored["E"]?.addressCode == "A2" && stored["E"]?.needsReview == false && stored["E"]?.updatedAt == t1)
        #expect(try await store.registryEntries(.house, addressCodes: ["A2"]).map(\.key) == ["E"])
        #expect(try await store.entriesNeedingReview(.house, limit: 10).map(\.key) == ["A", "C"])
        #expect(try await store.auditEntries(from: 1, limit: 10).map { "\($0.record.action) \($0.record.target)" }.last == "import.houses batch:\(batch)")
    }

    @Sendable static func registryOddText(_ make: RegistryFactory) async throws {
        let store = try await make()
        let odd = registryRecord(.place, "P\t1\\", at: "A\\N", ["name": "加油站\t东\\侧", "kind": "加油站", "tags": "危化\\品、a\tb", "note": "含\"引号\"\r\n与\\N"],
                         source: "应急\\管理", fieldSources: ["note": "消防\t支队"])
        _ = try await importRecords(store, .place, [odd, registryRecord(.place, "P2", at: "A\\N", ["name": "x", "kind": "仓库"], source: "应急")])
        let loaded = try #require(try await store.registryEntries(.place, keys: [odd.key]).first)
        #expect(loaded.key == odd.key && loaded.addressCode == odd.addressCode && loaded.source == odd.source)
        var fields = odd.fields
        fields["place_code"] = odd.key
        #expect(loaded.fields == fields && loaded.fieldSources == odd.fieldSources && loaded.category == "加油站")
        #expect(try await addressCounts(store, .place, LayerRule(tags: ["a\tb"])) == ["A\\N": 1])
        #expect(try await addressCounts(store, .place, LayerRule(tags: ["危化\\品"])) == ["A\\N": 1])
        #expect(try await store.registryEntries(.place, addressCodes: ["A\\N"]).map(\.key) == ["P\t1\\", "P2"], "byte order: a tab before a digit")
    }

    @Sendable static func layerDefinitions(_ make: RegistryFactory) async throws {
        let store = try await make()
        #expect(try await store.loadLayers().isEmpty)
        let rented = LayerDefinition(id: "rented-b", name: "出租房", englishName: "Rented", subject: .house, rule: LayerRule(categories: ["rented"]))
        let watched = LayerDefinition(id: "a-watched", name: "重点关注", englishName: "Watched \"closely\"", subject: .person,
                                      rule: LayerRule(categories: ["floating"], tags: ["独居老人", "低保"], keys: ["b1", "b2"]))
        try await store.saveLayer(rented, audit: adminAudit("layer.define", "layer:rented-b"))
        // Layers come in the order they were first defined, not by id.
        try await Task.sleep(for: .milliseconds(20))
        try await store.saveLayer(watched, audit: adminAudit("layer.define", "layer:a-watched"))
        #expect(try await store.loadLayers() == [rented, watched])
        var renamed = rented
        renamed.name = "出租屋"
        renamed.englishName = "Rented homes"
        renamed.rule = LayerRule(categories: ["rented", "commercial"])
        try await Task.sleep(for: .milliseconds(20))
        try await store.saveLayer(renamed, audit: adminAudit("layer.define", "layer:rented-b"))
        #expect(try await store.loadLayers() == [renamed, watched], "a replaced layer keeps its place")
        #expect(try await store.deleteLayer("a-watched", audit: adminAudit("layer.remove", "layer:a-watched")))
        #expect(try await store.deleteLayer("a-watched", audit: adminAudit("layer.remove", "layer:a-watched")) == false)
        #expect(try await store.deleteLayer("nothing", audit: adminAudit("layer.remove", "layer:nothing")) == false)
        #expect(try await store.loadLayers() == [renamed])
        // Every change on the trail; removals that removed nothing not.
        let trail = try await store.auditEntries(from: 1, limit: 10)
        #expect(trail.map { "\($0.record.action) \($0.record.target)" } == ["layer.define layer:rented-b", "layer.define layer:a-watched",
                                                                          "layer.define layer:rented-b", "layer.remove layer:a-watched"])
        #expect(AuditChain.verify(trail).isEmpty)
    }

    @Sendable static func layerCounts(_ make: RegistryFactory) async throws {
        let store = try await make()
        func person(_ key: String, _ address: String, _ type: String, tags: String? = nil) -> RegistryEntry {
            var fields = ["name": key, "residence_type": type]
            fields["tags"] = tags
            return registryRecord(.person, key, at: address, fields, source: "公安")
        }
        _ = try await importRecords(store, .person, [
            person("P1", "A1", "registered", tags: "独居老人、残疾人"), person("P2", "A1", "floating"),
            person("P3", "A2", "registered", tags: "低保"), person("P4", "A2", "overseas", tags: "空巢老人"),
            person("P5", "A3", "floating", tags: "独居老人"),
        ])
        _ = try await importRecords(store, .house, [registryRecord(.house, "H1", at: "A1", ["use": "rented"], source: "住建")])
        #expect(try await addressCounts(store, .person, LayerRule()) == ["A1": 2, "A2": 2, "A3": 1], "an empty rule takes every record")
        #expect(try await addressCounts(store, .person, LayerRule(categories: ["registered"])) == ["A1": 1, "A2": 1])
        #expect(try await addressCounts(store, .person, LayerRule(categories: ["registered", "overseas"])) == ["A1": 1, "A2": 2])
        #expect(try await addressCounts(store, .person, LayerRule(tags: ["独居老人"])) == ["A1": 1, "A3": 1], "whole tags only: 空巢老人 is not 独居老人")
        #expect(try await addressCounts(store, .person, LayerRule(tags: ["老人"])).isEmpty)
        #expect(try await addressCounts(store, .person, LayerRule(tags: ["残疾人", "低保"])) == ["A1": 1, "A2": 1])
        #expect(try await addressCounts(store, .person, LayerRule(categories: ["overseas"], tags: ["低保"])) == ["A2": 2], "a category or a tag")
        #expect(try await addressCounts(store, .person, LayerRule(categories: ["floating"], keys: ["P2", "P3"])) == ["A1": 1], "keys narrow")
        #expect(try await addressCounts(store, .person, LayerRule(keys: ["P4", "P5", "nobody"])) == ["A2": 1, "A3": 1])
        #expect(try await addressCounts(store, .house, LayerRule()) == ["A1": 1])
        #expect(try await addressCounts(store, .enterprise, LayerRule()).isEmpty)
    }

    @Sendable static func censusByAddress(_ make: RegistryFactory) async throws {
        let store = try await make()
        _ = try await importRecords(store, .person, [
            registryRecord(.person, "P1", at: "A1", ["name": "a", "household": "H1", "tags": "独居老人"], source: "公安"),
            registryRecord(.person, "P2", at: "A1", ["name": "b", "household": "H1"], source: "公安"),
            registryRecord(.person, "P3", at: "A1", ["name": "c", "household": "H2", "tags": ""], source: "公安"),
            registryRecord(.person, "P4", at: "A1", ["name": "d"], source: "公安"),
            registryRecord(.person, "P5", at: "A3", ["name": "e", "household": "H1", "tags": "低保"], source: "公安"),
        ])
        _ = try await importRecords(store, .enterprise, [registryRecord(.enterprise, "E1", at: "A2", ["name": "x"], source: "市场监管"),
                                                 registryRecord(.enterprise, "E2", at: "A2", ["name": "y"], source: "市场监管"),
                                                 registryRecord(.enterprise, "E3", at: "A3", ["name": "z"], source: "市场监管")])
        _ = try await importRecords(store, .place, [registryRecord(.place, "X1", at: "A2", ["name": "加油站", "kind": "加油站"], source: "应急")])
        _ = try await importRecords(store, .house, [registryRecord(.house, "F1", at: "A4", ["use": "vacant"], source: "住建")])
        let census = Dictionary(uniqueKeysWithValues: try await store.addressCensus().map { ($0.addressCode, $0) })
        func expected(_ code: String, people: Int = 0, households: Int = 0, vulnerable: Int = 0, enterprises: Int = 0, places: Int = 0) -> AddressCensus {
            var c = AddressCensus(addressCode: code)
            (c.people, c.households, c.vulnerable, c.enterprises, c.places) = (people, households, vulnerable, enterprises, places)
            return c
        }
        // A household counts once, no household none; an empty tag list is no tag. Houses are not counted.
        #expect(census == ["A1": expected("A1", people: 4, households: 2, vulnerable: 1),
                           "A2": expected("A2", enterprises: 2, places: 1),
                           "A3": expected("A3", people: 1, households: 1, vulnerable: 1, enterprises: 1)])
    }

    @Sendable static func housesByOwner(_ make: RegistryFactory) async throws {
        let store = try await make()
        let owned = registryRecord(.house, "H2", at: "A1", ["use": "rented", "owner_name": "enc:1:n", "owner_id_number": "enc:1:aaa"], source: "住建")
        _ = try await importRecords(store, .house, [
            owned,
            registryRecord(.house, "H1", at: "A2", ["use": "vacant", "owner_id_number": "enc:1:aaa"], source: "住建"),
            registryRecord(.house, "H3", at: "A1", ["use": "rented", "owner_id_number": "enc:1:bbb"], source: "住建"),
            registryRecord(.house, "H4", at: "A1", ["use": "rented"], source: "住建"),
        ])
        // Another registry's field of the same name is no house.
        _ = try await importRecords(store, .place, [registryRecord(.place, "X1", at: "A1", ["name": "x", "kind": "y", "owner_id_number": "enc:1:aaa"], source: "应急")])
        let found = try await store.houses(ownedBy: "enc:1:aaa")
        #expect(found.map(\.key) == ["H1", "H2"])
        var fields = owned.fields
        fields["house_code"] = "H2"
        #expect(found.last?.fields == fields && found.last?.kind == .house)
        #expect(try await store.houses(ownedBy: "enc:1:bbb").map(\.key) == ["H3"])
        #expect(try await store.houses(ownedBy: "enc:1:ccc").isEmpty)
    }

    @Sendable static func registryRetentionQueries(_ make: RegistryFactory) async throws {
        let store = try await make()
        let day = 86_400.0
        func floating(_ key: String) -> RegistryEntry { registryRecord(.person, key, at: "A1", ["name": key, "residence_type": "floating"], source: "公安") }
        _ = try await importRecords(store, .person, [floating("F1"), floating(RegistryEntry.erasedKeyPrefix + "x1"),
                                             registryRecord(.person, "R1", at: "A1", ["name": "r", "residence_type": "registered"], source: "公安")], at: t0)
        _ = try await importRecords(store, .person, [floating("F2")], at: t0.addingTimeInterval(day))
        _ = try await importRecords(store, .person, [floating("F0"), floating("erased_not")], at: t0.addingTimeInterval(2 * day))
        _ = try await importRecords(store, .person, [floating("F3")], at: t1)
        let before = t0.addingTimeInterval(3 * day)
        // Oldest first (not by key); the erased left out.
        let found = try await store.registryEntries(.person, category: "floating", updatedBefore: before, limit: 10)
        #expect(found.map(\.key).prefix(2) == ["F1", "F2"] && Set(found.map(\.key).dropFirst(2)) == ["F0", "erased_not"])
        #expect(try await store.registryCount(.person, category: "floating", updatedBefore: before) == 4)
        #expect(try await store.registryEntries(.person, category: "floating", updatedBefore: before, limit: 2).map(\.key) == ["F1", "F2"])
        // Strictly before: a record written at the very time is not older.
        #expect(try await store.registryEntries(.person, category: "floating", updatedBefore: t0.addingTimeInterval(day), limit: 10).map(\.key) == ["F1"])
        #expect(try await store.registryCount(.person, category: "floating", updatedBefore: t0.addingTimeInterval(day)) == 1)
        #expect(try await store.registryCount(.person, category: "floating", updatedBefore: t1.addingTimeInterval(1)) == 5)
        #expect(try await store.registryCount(.person, category: "registered", updatedBefore: t1) == 1)
        #expect(try await store.registryCount(.person, category: "overseas", updatedBefore: t1) == 0)
        #expect(try await store.registryCount(.house, category: "floating", updatedBefore: t1) == 0)
        #expect(try await store.registryEntries(.person, category: "floating", updatedBefore: t0, limit: 10).isEmpty)
    }

    @Sendable static func registryReplacement(_ make: RegistryFactory) async throws {
        let store = try await make()
        func person(_ key: String, phone: String, source: String) -> RegistryEntry {
            registryRecord(.person, key, at: "A1", ["name": "n-" + key, "phone": phone, "household": "H1", "residence_type": "floating", "tags": "t-" + key], source: source)
        }
        _ = try await importRecords(store, .person, [person("K1", phone: "1", source: "公安"), person("K2", phone: "1", source: "公安")])
        _ = try await importRecords(store, .person, [person("K1", phone: "2", source: "民政"), person("K2", phone: "2", source: "民政")], at: t1.addingTimeInterval(60))
        _ = try await importRecords(store, .house, [registryRecord(.house, "F1", at: "A1", ["use": "rented", "owner_name": "n-K1", "owner_id_number": "K1"], source: "住建")])
        let k1 = try #require(try await store.registryEntries(.person, keys: ["K1"]).first)
        #expect(try await store.fieldConflicts(.person, key: "K1").count == 2)
        let trail = try await store.auditEntries(from: 1, limit: 100).count

        var anonymous = registryRecord(.person, RegistryEntry.erasedKeyPrefix + "abc", at: "A1", ["household": "H1", "residence_type": "floating", "tags": "sealed"],
                               source: "公安")
        anonymous.fieldSources = ["household": "民政"]
        var house = try #require(try await store.registryEntries(.house, keys: ["F1"]).first)
        house.fields["owner_name"] = nil
        house.fields["owner_id_number"] = nil
        let replacements = [
            RegistryReplacement(kind: .person, storedKey: "K1", replacement: anonymous, tagsColumn: "T-sealed"),
            RegistryReplacement(kind: .house, storedKey: "F1", replacement: house, tagsColumn: nil),
        ]
        // One stored key that is not there: nothing is replaced, nothing audited.
        await #expect(throws: StoreConflict.self) {
            try await store.replaceRegistryEntries(replacements + [RegistryReplacement(kind: .person, storedKey: "nobody", replacement: anonymous, tagsColumn: nil)],
                                                   audit: [adminAudit("erase.person", "person:K1")])
        }
        #expect(try await store.registryEntries(.person, keys: ["K1"]) == [k1])
        #expect(try await store.fieldConflicts(.person, key: "K1").count == 2)
        #expect(try await store.auditEntries(from: 1, limit: 100).count == trail)

        try await store.replaceRegistryEntries(replacements, audit: [adminAudit("erase.person", "person:K1")])
        #expect(try await store.registryEntries(.person, keys: ["K1"]).isEmpty)
        let kept = try #require(try await store.registryEntries(.person, keys: [anonymous.key]).first)
        #expect(kept.fields == anonymous.fields && kept.fieldSources == ["household": "民政"] && !kept.needsReview && kept.source == "公安")
        // The record keeps its batch and time (no import wrote it), and its claims go.
        #expect(kept.importBatch == k1.importBatch && kept.updatedAt == k1.updatedAt && kept.category == "floating")
        #expect(try await store.fieldConflicts(.person, key: "K1").isEmpty)
        #expect(try await store.fieldConflicts(.person, key: "K2").count == 2, "another record's claims stay")
        #expect(try await store.registryCount(.person) == 2)
        #expect(try await addressCounts(store, .person, LayerRule(tags: ["T-sealed"])) == ["A1": 1], "the tags column is replaced")
        #expect(try await store.houses(ownedBy: "K1").isEmpty)
        #expect(try await store.registryEntries(.house, keys: ["F1"]).first?.fields == house.fields)
        #expect(try await store.entriesNeedingReview(.person, limit: 10).map(\.key) == ["K2"])
        #expect(try await store.auditEntries(from: 1, limit: 100).last?.record.action == "erase.person")
    }

    struct RewriteRefused: Error {}

    @Sendable static func registryRewrite(_ make: RegistryFactory) async throws {
        let store = try await make()
        _ = try await importRecords(store, .person, [registryRecord(.person, "K1", at: "A1", ["name": "张三", "phone": "1", "tags": "a"], source: "公安"),
                                             registryRecord(.person, "K2", at: "A2", ["name": "李四"], source: "公安")])
        _ = try await importRecords(store, .person, [registryRecord(.person, "K1", at: "A1", ["name": "张三", "phone": "2"], source: "民政")], at: t1.addingTimeInterval(60))
        _ = try await importRecords(store, .house, [registryRecord(.house, "H1", at: "A1", ["use": "rented", "tags": "T"], source: "住建")])
        let before = try await store.registryEntries(.person, keys: ["K1", "K2"])
        let trail = try await store.auditEntries(from: 1, limit: 100).count

        // A closure that fails part-way: nothing is rewritten.
        await #expect(throws: RewriteRefused.self) {
            _ = try await store.rewriteRegistries(audit: adminAudit("keys.rotate", "key:2"), record: { e, tags in
                if e.key == "K2" { throw RewriteRefused() }
                var n = e
                n.key = "r-" + e.key
                return (n, tags)
            }, claim: { $0 })
        }
        #expect(try await store.registryEntries(.person, keys: ["K1", "K2"]) == before)
        #expect(try await store.fieldConflicts(.person, key: "K1").count == 2)
        #expect(try await store.auditEntries(from: 1, limit: 100).count == trail)

        let count = try await store.rewriteRegistries(audit: adminAudit("keys.rotate", "key:2"), record: { e, tags in
            var n = e
            n.key = "r-" + e.key
            n.fields = n.fields.mapValues { $0 + "'" }
            n.fields[RegistrySchema.of(e.kind).keyField] = nil
            // Rewriting must not touch what the closure does not return.
            n.addressCode = "elsewhere"
            return (n, tags.map { $0 + "'" })
        }, claim: { c in
            // Claims come after their records, already under the new key.
            var n = c
            n.value = c.key + ":" + c.value
            return n
        })
        #expect(count == 3)
        #expect(try await store.registryEntries(.person, keys: ["K1", "K2"]).isEmpty)
        let k1 = try #require(try await store.registryEntries(.person, keys: ["r-K1"]).first)
        #expect(k1.fields == ["name": "张三'", "phone": "1'", "tags": "a'", "id_number": "r-K1"])
        #expect(k1.addressCode == "A1" && k1.needsReview && k1.source == "公安")
        #expect(try await store.fieldConflicts(.person, key: "K1").isEmpty)
        #expect(try await store.fieldConflicts(.person, key: "r-K1").map(\.value) == ["r-K1:1", "r-K1:2"])
        #expect(try await addressCounts(store, .house, LayerRule(tags: ["T'"])) == ["A1": 1])
        #expect(try await addressCounts(store, .person, LayerRule(tags: ["a'"])) == ["A1": 1])
        #expect(try await store.registryEntries(.house, keys: ["r-H1"]).first?.fields["use"] == "rented'")
        #expect(try await store.auditEntries(from: 1, limit: 100).last?.record.action == "keys.rotate")
    }
}
