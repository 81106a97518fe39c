import Foundation
import GeoKit
@testable import Governance
import SQLiteStore
import Testing

@Suite("Registries and provenance")
struct RegistryTests {
    func entry(_ fields: [String: String], source: String, batch: Int64?, address: String = "A1") -> RegistryEntry {
        RegistryEntry(kind: .person, key: "34052419800101001X", addressCode: address, gridCode: nil, fields: fields,
                             fieldSources: [:], source: source, importBatch: batch, updatedAt: Date())
    }

    @Test("merging: empty fields filled, a source corrects itself, another source's different value is kept beside and flagged")
    func merge() {
        let police = entry(["name": "张三", "phone": "13800001111"], source: "公安", batch: 1)
        // Another source adds a field and agrees on the name.
        let (m1, c1) = ProvenanceMerge.merge(police, with: entry(["name": "张三", "tags": "独居老人"], source: "民政", batch: 2))
        #expect(c1.isEmpty && !m1.needsReview)
        #expect(m1.fields["tags"] == "独居老人" && m1.source(of: "tags") == "民政" && m1.source(of: "name") == "公安")
        // The police correct their own phone number in a later batch.
        let (m2, c2) = ProvenanceMerge.merge(m1, with: entry(["phone": "13900002222"], source: "公安", batch: 3))
        #expect(c2.isEmpty && m2.fields["phone"] == "13900002222")
        // Civil affairs say another phone: not overwritten, both kept, flagged.
        let (m3, c3) = ProvenanceMerge.merge(m2, with: entry(["phone": "13700003333"], source: "民政", batch: 4))
        #expect(m3.fields["phone"] == "13900002222" && m3.needsReview)
        #expect(Set(c3.map(\.value)) == ["13900002222", "13700003333"])
        #expect(Set(c3.map(\.source)) == ["公安", "民政"])
        // A file that contradicts itself (same source, same batch) is a conflict too.
        let (m4, c4) = ProvenanceMerge.merge(entry(["name": "张三"], source: "公安", batch: 5), with: entry(["name": "张叁"], source: "公安", batch: 5))
        #expect(m4.needsReview && c4.count == 2)
        // A different address from another source.
        let (m5, c5) = ProvenanceMerge.merge(police, with: entry(["name": "张三"], source: "民政", batch: 6, address: "A2"))
        #expect(m5.addressCode == "A1" && m5.needsReview && c5.map(\.field) == ["address", "address"])
    }

    /// Regions, the three fixture addresses A1–A3, and the services on one SQLite file.
    func services() async throws -> (AddressService, RegistryService) {
        let regions = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: regions)
        let addresses = AddressService(store: regions.store, regions: regions)
        try await addresses.load()
        let header = ["地址编码", "街道", "社区", "街路巷", "门牌号", "小区", "幢", "单元", "室", "经度", "纬度"]
        let reader = AddressRowReader(header: header, columns: AddressRowReader.mapping.resolve(header).columns, territory: regions.territory(), options: AddressImportOptions())
        let rows = [
            ["A1", "临平街道", "西大街社区", "迎宾路", "12", "星河苑", "3", "2", "301", "120.01", "30.01"],
            ["A2", "临平街道", "西大街社区", "迎宾路", "12", "星河苑", "3", "2", "302", "120.01", "30.01"],
            ["A3", "临平街道", "西大街社区", "迎宾路", "14", "", "", "", "", "120.03", "30.02"],
        ].enumerated().map { i, r in
            let (a, issues) = reader.read(r, line: i + 2)
            return (line: i + 2, address: a, issues: issues)
        }
        _ = try await addresses.importAddresses(rows, options: reader.options)
        return (addresses, RegistryService(store: regions.store, addresses: addresses, vault: PersonalDataVault(.generate())))
    }

    func read(_ kind: RegistryKind, header: [String], rows: [[String]], source: String, registries: RegistryService, keepGoing: Bool = false)
        -> (rows: [(line: Int, entry: RegistryEntry?, issues: [ImportIssue])], options: RegistryImportOptions)
    {
        var options = RegistryImportOptions(source: source)
        options.keepGoing = keepGoing
        let schema = RegistrySchema.of(kind)
        let reader = RegistryRowReader(schema: schema, header: header, columns: schema.mapping.resolve(header).columns, options: options,
                                       vault: registries.vault) { code, text in
            registries.resolveAddress(code: code, text: text)
        }
        let now = Date()
        return (rows.enumerated().map { i, r in
            let (e, issues) = reader.read(r, line: i + 2, at: now)
            return (i + 2, e, issues)
        }, reader.options)
    }

    static let peopleHeader = ["身份证号", "姓名", "联系电话", "人口类型", "标签", "地址编码", "地址"]

    @Test("people: by address code or text, sex and birth from the ID, merged by ID number, a second source flagged")
    func people() async throws {
        let (_, registries) = try await services()
        let (rows, options) = read(.person, header: Self.peopleHeader, rows: [
            ["34052419800101001X", "张三", "138-0000-1111", "户籍", "独居老人,残疾人", "A1", ""],
            ["340524800101001", "张三", "", "", "", "A1", ""],  // the same person, 15-digit form: merged
            ["110101199003074215", "李四", "", "流动", "", "", "星河苑3栋2单元302室"],
        ], source: "公安人口库", registries: registries)
        let result = try await registries.importEntries(.person, rows: rows, options: options)
        #expect(result.inserted == 2 && result.flagged == 0)
        let zhang = try #require(try await registries.entry(.person, key: "34052419800101001X"))
        #expect(zhang.fields["sex"] == "male" && zhang.fields["birth_date"] == "1980-01-01")
        #expect(zhang.fields["phone"] == "13800001111" && zhang.tags == ["独居老人", "残疾人"])
        #expect(zhang.gridCode?.rawValue == "33011000100101")
        #expect(try await registries.entry(.person, key: "110101199003074215")?.addressCode == "A2")
        #expect(try await registries.store.registryCount(.person) == 2)

        // Civil affairs disagree on the phone and add a tag.
        let (rows2, options2) = read(.person, header: Self.peopleHeader, rows: [
            ["34052419800101001X", "张三", "13700003333", "", "独居老人", "A1", ""],
        ], source: "民政", registries: registries)
        let second = try await registries.importEntries(.person, rows: rows2, options: options2)
        #expect(second.merged == 1 && second.flagged == 1)
        #expect(second.issues.contains { $0.severity == .warning && $0.reason.contains("phone") })
        let flagged = try #require(try await registries.entry(.person, key: "34052419800101001X"))
        #expect(flagged.needsReview && flagged.fields["phone"] == "13800001111")
        // Tags add up across sources.
        #expect(flagged.tags == ["独居老人", "残疾人"])
        let claims = try await registries.fieldConflicts(.person, key: "34052419800101001X")
        #expect(Set(claims.map { "\($0.source):\($0.value)" }) == ["公安人口库:13800001111", "民政:13700003333"])
        #expect(claims.allSatisfy { $0.importBatch != nil })
        #expect(try await registries.entriesNeedingReview(.person, limit: 10).map(\.key) == ["34052419800101001X"])
        // The same file again: nothing changes.
        let again = try await registries.importEntries(.person, rows: rows2, options: options2)
        #expect(again.batch == nil && again.unchanged == 1)
    }

    @Test("bad rows name the column; nothing is written unless keep-going", arguments: [
        (["340524198001010011", "张三", "", "", "", "A1", ""], "身份证号", "check character"),
        (["34052419800101001X", "", "", "", "", "A1", ""], "姓名", "empty"),
        (["34052419800101001X", "张三", "123", "", "", "A1", ""], "联系电话", "mobile"),
        (["34052419800101001X", "张三", "", "外星", "", "A1", ""], "人口类型", "one of"),
        (["34052419800101001X", "张三", "", "", "", "ZZ9", ""], "地址编码", "no standard address"),
        (["34052419800101001X", "张三", "", "", "", "", "火星基地"], "地址", "not found"),
    ] as [([String], String, String)])
    func badRows(row: [String], column: String, reason: String) async throws {
        let (_, registries) = try await services()
        let good = ["110101199003074215", "李四", "", "", "", "A2", ""]
        let (rows, options) = read(.person, header: Self.peopleHeader, rows: [good, row], source: "公安", registries: registries)
        do {
            _ = try await registries.importEntries(.person, rows: rows, options: options)
            Issue.record("accepted")
        } catch let rejected as RegistryImportRejected {
            let error = try #require(rejected.issues.first { $0.severity == .error })
            #expect(error.line == 3 && error.column == column && error.reason.contains(reason), "\(error)")
        }
        #expect(try await registries.store.registryCount(.person) == 0)
        let (kept, keepOptions) = read(.person, header: Self.peopleHeader, rows: [good, row], source: "公安", registries: registries, keepGoing: true)
        let result = try await registries.importEntries(.person, rows: kept, options: keepOptions)
        #expect(result.inserted == 1)
    }

    @Test("enterprises, houses and places with their own checks")
    func otherRegistries() async throws {
        let (_, registries) = try await services()
        let (e, eo) = read(.enterprise, header: ["统一社会信用代码", "企业名称", "行业", "法定代表人", "风险标签", "地址编码"], rows: [
            ["91350100M000100Y43", "星河餐饮", "餐饮", "王五", "食品安全", "A3"],
            ["91350100M000100Y44", "试点企业", "零售", "", "", "A3"],
        ], source: "市场监管", registries: registries)
        let er = try await registries.importEntries(.enterprise, rows: e, options: eo)
        #expect(er.inserted == 2)
        #expect(er.issues.contains { $0.severity == .warning && $0.reason.contains("pilot") })
        #expect(try await registries.entry(.enterprise, key: "91350100M000100Y43")?.category == "餐饮")

        let (h, ho) = read(.house, header: ["房屋编码", "用途", "面积", "产权人", "地址编码"], rows: [
            ["H1", "出租", "89.5平方米", "张三", "A1"],
            ["H2", "自住", "-3", "李四", "A2"],
        ], source: "住建", registries: registries, keepGoing: true)
        let hr = try await registries.importEntries(.house, rows: h, options: ho)
        #expect(hr.inserted == 1 && hr.issues.first?.column == "面积")
        #expect(try await registries.entry(.house, key: "H1")?.fields["use"] == "rented")
        #expect(try await registries.entry(.house, key: "H1")?.fields["area"] == "89.50")

        let (p, po) = read(.place, header: ["场所编码", "场所名称", "场所类型", "地址编码"], rows: [["P1", "星河加油站", "加油站", "A3"]], source: "应急", registries: registries)
        #expect(try await registries.importEntries(.place, rows: p, options: po).inserted == 1)
        #expect(try await registries.entries(.place, atAddresses: ["A3"]).map(\.key) == ["P1"])
    }
}

@Suite("Stored form of registry fields")
struct RegistryFieldsEncodingTests {
    @Test("fields implied by the key are left out and come back; text with quotes, newlines and controls survives")
    func roundTrip() throws {
        let id = "11010519491231002X"
        let fields = ["id_number": id, "sex": "female", "birth_date": "1949-12-31", "name": "王\"五\"", "note": "a\\b\nc\t\u{1}", "household": "H1"]
        let e = RegistryEntry(kind: .person, key: id, addressCode: "A1", gridCode: nil, fields: fields, fieldSources: [:], source: "公安", importBatch: nil, updatedAt: Date())
        let stored = RegistryFieldsEncoding.encode(e)
        #expect(!stored.contains(id) && !stored.contains("female") && !stored.contains("1949"))
        #expect(try RegistryFieldsEncoding.decode(stored, kind: .person, key: id) == fields)
        #expect(RegistryRow(line: 3, entry: e).entry.fields == fields)
        // A value that disagrees with the key is not implied: it is kept as given.
        var odd = e
        odd.fields["sex"] = "male"
        #expect(try RegistryFieldsEncoding.decode(RegistryFieldsEncoding.encode(odd), kind: .person, key: id)["sex"] == "male")
        // Other registries: only the key field is implied.
        let firm = RegistryEntry(kind: .enterprise, key: "91350100M000100Y43", addressCode: "A1", gridCode: nil,
                                 fields: ["credit_code": "91350100M000100Y43", "name": "星河餐饮"], fieldSources: [:], source: "市场监管", importBatch: nil, updatedAt: Date())
        #expect(RegistryFieldsEncoding.encode(firm) == #"{"name":"星河餐饮"}"#)
        #expect(try RegistryFieldsEncoding.decode(#"{"name":"星河餐饮"}"#, kind: .enterprise, key: firm.key) == firm.fields)
        #expect(throws: (any Error).self) { try RegistryFieldsEncoding.decode("[1]", kind: .place, key: "P1") }
    }
}
