import Foundation
import GeoKit
import Governance
import SQLiteStore
import Testing

@Suite("Personal data: sealed at rest, found by blind index, masked, keys rotated")
struct PrivacyTests {
    static let id = "34052419800101001X"

    static func person(_ id: String = PrivacyTests.id, name: String = "张三", phone: String = "13800001111", tags: String = "独居老人、残疾人",
                       source: String = "公安") -> RegistryEntry {
        RegistryEntry(kind: .person, key: id, addressCode: "A1", gridCode: nil,
                      fields: ["id_number": id, "name": name, "phone": phone, "tags": tags, "residence_type": "registered", "sex": "male", "birth_date": "1980-01-01"],
                      fieldSources: [:], source: source, importBatch: nil, updatedAt: Date())
    }

    @Test("sealing is AES-GCM with a synthetic nonce: same value, same text; altered or foreign text does not open")
    func sealing() throws {
        let vault = PersonalDataVault(.generate())
        let a = vault.seal("张三", field: "name")
        #expect(a.hasPrefix("enc:1:") && !a.contains("张三"))
        #expect(a == vault.seal("张三", field: "name"))
        #expect(a != vault.seal("张三", field: "owner_name"), "the field is part of the nonce and the authenticated data")
        #expect(try vault.open(a, field: "name") == "张三")
        #expect(throws: KeyRingError.self) { try vault.open(a, field: "owner_name") }
        var altered = Array(a)
        altered[altered.count - 3] = altered[altered.count - 3] == "A" ? "B" : "A"
        #expect(throws: KeyRingError.self) { try vault.open(String(altered), field: "name") }
        #expect(throws: KeyRingError.self) { try PersonalDataVault(.generate()).open(a, field: "name") }
        #expect(vault.blindIndex(Self.id, purpose: "key.person") == vault.blindIndex(Self.id, purpose: "key.person"))
        #expect(vault.blindIndex(Self.id, purpose: "key.person") != PersonalDataVault(.generate()).blindIndex(Self.id, purpose: "key.person"))
        // A stored record holds nothing in clear but what is not personal, and opens to what it was.
        let e = Self.person()
        let sealed = vault.sealed(e)
        #expect(sealed.key.hasPrefix("b") && sealed.key.count == 33)
        #expect(sealed.fields["sex"] == nil && sealed.fields["birth_date"] == nil, "implied by the ID number, sealed with it")
        #expect(sealed.fields["residence_type"] == "registered")
        #expect(sealed.fields.values.allSatisfy { !$0.contains("张") && !$0.contains("138") && !$0.contains("独居") })
        #expect(try vault.opened(sealed) == e)
        #expect(vault.sealedTagsColumn(e)?.split(separator: "、").count == 2)
    }

    @Test("values of every length round-trip; hashes are the standard ones")
    func encodings() throws {
        let vault = PersonalDataVault(.generate())
        var random = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let value = String((0..<length).map { _ in "张李王0123456789abcXYZ-_/+=、 ".randomElement(using: &random)! })
            let sealed = vault.seal(value, field: "name")
            #expect(sealed.utf8.allSatisfy { $0 < 128 && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
            #expect(try vault.open(sealed, field: "name") == value)
        }
        #expect(SecretToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SecretToken.generate(bytes: 32).count == 43)
        #expect(throws: KeyRingError.self) { try vault.open("enc:1:not*base64", field: "name") }
    }

    @Test("masks: ID numbers, phones, names, and nothing of tags")
    func masks() {
        #expect(PersonalDataClass.idNumber.mask("33011019800101123X") == "330110************")
        #expect(PersonalDataClass.phone.mask("13812345678") == "138****5678")
        #expect(PersonalDataClass.name.mask("欧阳修") == "欧**")
        #expect(PersonalDataClass.sensitiveTags.mask("社区矫正") == "***")
        let masked = RegistrySchema.masked(Self.person())
        #expect(masked.key == "340524************" && masked.fields["name"] == "张*" && masked.fields["phone"] == "138****1111")
        #expect(masked.fields["birth_date"] == "1980" && masked.fields["tags"] == "***")
    }

    @Test("the database file holds no ID number, name, phone or tag in clear; the ID number still finds the person")
    func atRest() async throws {
        let regions = try await Fixture.service()
        let vault = PersonalDataVault(.generate())
        let registries = RegistryService(store: regions.store, addresses: AddressService(store: regions.store, regions: regions), vault: vault)
        let people = (0..<50).map { i in
            Self.person(CitizenIDFixture.valid(i), name: "李明\(i)", phone: "1390000\(String(format: "%04d", i))", tags: i % 2 == 0 ? "独居老人" : "社区矫正")
        }
        _ = try await registries.importEntries(.person, rows: people.enumerated().map { (line: $0.offset + 2, entry: $0.element, issues: []) },
                                               options: RegistryImportOptions(source: "公安"))
        let store = try #require(regions.store as? SQLiteStore)
        // The database and its write-ahead log, byte for byte.
        var bytes = Data()
        for suffix in ["", "-wal"] { bytes += (FileManager.default.contents(atPath: store.path + suffix) ?? Data()) }
        #expect(bytes.count > 10_000)
        for p in people {
            for needle in [p.key, p.fields["name"]!, p.fields["phone"]!] { #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) in clear") }
        }
        for needle in ["独居老人", "社区矫正"] { #expect(bytes.range(of: Data(needle.utf8)) == nil) }
        let found = try #require(try await registries.entry(.person, key: people[7].key))
        #expect(found.fields["name"] == "李明7" && found.fields["sex"] != nil && found.key == people[7].key)
    }

    @Test("rotating the keys re-encrypts records, claims and hand-picked layer members; the old key no longer opens them")
    func rotation() async throws {
        let regions = try await Fixture.service()
        let addresses = AddressService(store: regions.store, regions: regions)
        let ring = KeyRing.generate()
        let old = PersonalDataVault(ring)
        try await KeyCheck.verify(old, stored: nil, store: regions.store, origin: "test")
        let registries = RegistryService(store: regions.store, addresses: addresses, vault: old)
        _ = try await registries.importEntries(.person, rows: [(line: 2, entry: Self.person(), issues: [])], options: RegistryImportOptions(source: "公安"))
        // A second source disagrees on the phone: a claim is recorded, sealed.
        _ = try await registries.importEntries(.person, rows: [(line: 2, entry: Self.person(phone: "13700003333", source: "民政"), issues: [])],
                                               options: RegistryImportOptions(source: "民政"))
        #expect(Set(try await registries.fieldConflicts(.person, key: Self.id).map(\.value)) == ["13800001111", "13700003333"])
        let layers = LayerService(store: regions.store, addresses: addresses, vault: old)
        try await layers.define(LayerDefinition(id: "watched", name: "重点关注", englishName: "Watched", subject: .person, rule: LayerRule(keys: [Self.id])), actor: "test")
        #expect(try await regions.store.loadLayers().first { $0.id == "watched" }?.rule.keys.allSatisfy { PersonalDataVault.isSealed($0) } == true)

        let rotated = ring.rotated()
        let count = try await KeyRotation(store: regions.store).reseal(with: PersonalDataVault(rotated), actor: "test")
        #expect(count == 1)
        let new = PersonalDataVault(rotated.retiringOldVersions())
        let after = RegistryService(store: regions.store, addresses: addresses, vault: new)
        let person = try #require(try await after.entry(.person, key: Self.id))
        #expect(person.fields["name"] == "张三" && person.needsReview)
        #expect(Set(try await after.fieldConflicts(.person, key: Self.id).map(\.value)) == ["13800001111", "13700003333"])
        #expect(try await registries.entry(.person, key: Self.id) == nil, "the old blind index finds nothing")
        let stored = try #require(try await regions.store.registryEntries(.person, keys: [new.storageKey(.person, key: Self.id)]).first)
        #expect(throws: KeyRingError.self) { try old.opened(stored) }
        // The check follows the key; the old ring is refused from now on.
        try await KeyCheck.verify(new, stored: try await regions.store.setting(KeyCheck.setting), store: regions.store, origin: "test")
        await #expect(throws: KeyRingError.self) {
            try await KeyCheck.verify(old, stored: try await regions.store.setting(KeyCheck.setting), store: regions.store, origin: "test")
        }
        let newLayers = LayerService(store: regions.store, addresses: addresses, vault: new)
        try await newLayers.load()
        #expect(try await regions.store.registryAddressCounts(.person, rule: LayerRule(keys: [new.storageKey(.person, key: Self.id)])).count == 1)
        #expect(try await regions.store.auditEntries(matching: AuditQuery(actionPrefix: "keys.rotate", limit: 1)).count == 1)
    }

    @Test("a key file: owner-readable only, atomic, refused when others may read it or it is not a key file")
    func keyFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("test.keys")
        let ring = KeyRing.generate().rotated()
        try ring.save(to: url)
        #expect(try KeyRing.load(from: url) == ring)
        #expect((try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        #expect(throws: KeyRingError.self) { try KeyRing.load(from: url) }
        try Data("{}".utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        #expect(throws: KeyRingError.self) { try KeyRing.load(from: url) }
    }
}

/// Valid 18-digit ID numbers (GB 11643 check digit) for tests.
enum CitizenIDFixture {
    static func valid(_ i: Int) -> String {
        let body = "110101" + String(1950 + i % 50) + "0101" + String(format: "%03d", i / 50 + 100)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }
}

@Suite("Erasure and retention")
struct ErasureTests {
    static func registries() async throws -> RegistryService {
        let regions = try await Fixture.service()
        return RegistryService(store: regions.store, addresses: AddressService(store: regions.store, regions: regions), vault: PersonalDataVault(.generate()))
    }

    @Test("erasing a person removes his phone from the cases he reported; the cases, their timelines and their counts stay")
    func eraseCaseContacts() async throws {
        let cases = try await caseService()
        let registries = RegistryService(store: cases.store, addresses: cases.addresses, vault: cases.vault)
        let him = PrivacyTests.person()
        _ = try await registries.importEntries(.person, rows: [(2, him, [])], options: RegistryImportOptions(source: "公安"))
        let phone = try #require(him.fields["phone"])
        func report(_ phone: String) async throws -> Case {
            try await cases.report(CaseIntake(source: .hotline, classCode: try CaseClassCode("E0701"), description: "邻居噪音扰民",
                                              location: Coordinate(longitude: 120.01, latitude: 30.01), contactPhone: phone), by: .console("hotline")).case
        }
        let his = try await report(phone), another = try await report("13911112222")
        let range = (CivilDay(iso: "2020-01-01")!, CivilDay(iso: "2030-01-01")!)
        let before = try await cases.store.kpiCounters(scopes: ["r:330110000000"], from: range.0, to: range.1)
        let result = try await PersonalDataErasure(registries: registries).erase(person: PrivacyTests.id, reason: "本人依法申请删除", by: .console("test"))
        #expect(result == ErasureResult(people: 1, houses: 0, cases: 1))
        let after = try #require(try await cases.store.storedCase(number: his.number))
        #expect(after.reporterContact == nil && after.status == his.status && after.version == his.version + 1)
        #expect(try await cases.store.caseEvents(number: his.number).last?.action == .redact)
        #expect(try await cases.store.storedCase(number: another.number)?.reporterContact != nil)
        #expect(try await cases.store.kpiCounters(scopes: ["r:330110000000"], from: range.0, to: range.1) == before)
        #expect(try await cases.revealContact(his.number, purpose: "回访", by: .console("test")) == nil)
        // The person is gone: erasing again finds nobody.
        await #expect(throws: AccessDenied.self) {
            try await PersonalDataErasure(registries: registries).erase(person: PrivacyTests.id, reason: "重复申请删除", by: .console("test"))
        }
    }

    @Test("erasing a person keeps him as an anonymous resident: counts stay, identity and ownership go, the trail says why")
    func erase() async throws {
        let registries = try await Self.registries()
        var him = PrivacyTests.person()
        him.fields["household"] = "H1"
        let neighbour = PrivacyTests.person(CitizenIDFixture.valid(3), name: "王五")
        _ = try await registries.importEntries(.person, rows: [(2, him, []), (3, neighbour, [])], options: RegistryImportOptions(source: "公安"))
        let house = RegistryEntry(kind: .house, key: "F-1", addressCode: "A1", gridCode: nil,
                                  fields: ["house_code": "F-1", "use": "rented", "owner_name": "张三", "owner_id_number": PrivacyTests.id],
                                  fieldSources: [:], source: "住建", importBatch: nil, updatedAt: Date())
        _ = try await registries.importEntries(.house, rows: [(2, house, [])], options: RegistryImportOptions(source: "住建"))
        let before = try await registries.store.addressCensus().first { $0.addressCode == "A1" }

        let result = try await PersonalDataErasure(registries: registries).erase(person: PrivacyTests.id, reason: "本人依法申请删除", by: .console("test"))
        #expect(result == ErasureResult(people: 1, houses: 1))
        #expect(try await registries.entry(.person, key: PrivacyTests.id) == nil)
        #expect(try await registries.entry(.person, key: neighbour.key)?.fields["name"] == "王五")
        let after = try await registries.store.addressCensus().first { $0.addressCode == "A1" }
        #expect(after == before, "people, households and tagged people at the address are unchanged")
        let remainder = try #require(try await registries.entries(.person, atAddresses: ["A1"]).first { $0.isErased })
        #expect(remainder.fields == ["household": "H1", "residence_type": "registered", "sex": "male", "birth_year": "1980", "tags": "独居老人、残疾人"])
        let owned = try #require(try await registries.entry(.house, key: "F-1"))
        #expect(owned.fields["owner_name"] == nil && owned.fields["owner_id_number"] == nil && owned.fields["use"] == "rented")
        let trail = try #require(try await registries.store.auditEntries(matching: AuditQuery(actionPrefix: "erase", limit: 1)).first)
        #expect(trail.record.purpose?.hasPrefix("本人依法申请删除") == true)
        await #expect(throws: AccessDenied.outsideTerritory) {
            _ = try await PersonalDataErasure(registries: registries).erase(person: PrivacyTests.id, reason: "again, please", by: .console("test"))
        }
        await #expect(throws: AccessDenied.missingPermission(.personalDataErase)) {
            let worker = Principal(accountID: 1, username: "w", roles: ["grid-worker"], permissions: Role.gridWorker.permissions,
                                   territory: .everything, credential: .session)
            _ = try await PersonalDataErasure(registries: registries).erase(person: neighbour.key, reason: "no right to", by: worker)
        }
    }

    @Test("retention: floating residents unconfirmed for two years are erased, registered ones kept; a dry run only counts")
    func retention() async throws {
        let registries = try await Self.registries()
        var floating = PrivacyTests.person(CitizenIDFixture.valid(1), name: "流动一")
        floating.fields["residence_type"] = "floating"
        var recent = PrivacyTests.person(CitizenIDFixture.valid(2), name: "流动二")
        recent.fields["residence_type"] = "floating"
        let registered = PrivacyTests.person(CitizenIDFixture.valid(4), name: "户籍")
        _ = try await registries.importEntries(.person, rows: [(2, floating, []), (3, registered, [])], options: RegistryImportOptions(source: "公安"))
        // The second floating resident is confirmed a moment later; the policy is run as of the
        // instant two years after the first import and in between.
        let cut = Date()
        try await Task.sleep(for: .milliseconds(20))
        _ = try await registries.importEntries(.person, rows: [(2, recent, [])], options: RegistryImportOptions(source: "公安"))
        let enforcement = RetentionEnforcement(registries: registries)
        let asOf = Calendar(identifier: .gregorian).date(byAdding: .year, value: 2, to: cut)!
        let dry = try await enforcement.enforce(at: asOf, dryRun: true, actor: "test")
        #expect(dry.erased["floating"] == 1)
        #expect(try await registries.entry(.person, key: floating.key) != nil, "a dry run changes nothing")
        let report = try await enforcement.enforce(at: asOf, dryRun: false, actor: "test")
        #expect(report.erased["floating"] == 1)
        #expect(try await registries.entry(.person, key: floating.key) == nil)
        #expect(try await registries.entry(.person, key: recent.key) != nil)
        #expect(try await registries.entry(.person, key: registered.key) != nil)
        #expect(try await registries.store.registryCount(.person) == 3)
        let again = try await enforcement.enforce(at: asOf.addingTimeInterval(366 * 86400 * 5), dryRun: false, actor: "test")
        #expect(again.erased["floating"] == 1, "five years later the other one goes too")
        #expect(try await registries.entry(.person, key: registered.key) != nil, "registered residents are not subject to it")
        let last = try await enforcement.enforce(at: asOf.addingTimeInterval(366 * 86400 * 5), dryRun: false, actor: "test")
        #expect(last.erased["floating"] ?? 0 == 0, "the erased stay erased and are not counted again")
        #expect(try await registries.store.auditEntries(matching: AuditQuery(actionPrefix: "retention", limit: 10)).count >= 3)
    }
}
