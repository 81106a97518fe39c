import Foundation
import GeoKit
@testable import Governance
import SQLiteStore
import Testing

@Suite("Address import")
struct AddressImportTests {
    /// A region service with the fixture territory and an address service over the same store.
    func services() async throws -> (RegionService, AddressService) {
        let regions = try await Fixture.service()
        try await Fixture.importFile(Fixture.geojson(Fixture.territory()), into: regions)
        let addresses = AddressService(store: regions.store, regions: regions)
        try await addresses.load()
        return (regions, addresses)
    }

    static let header = ["地址编码", "街道", "社区", "街路巷", "门牌号", "小区", "幢", "单元", "室", "经度", "纬度", "状态"]

    func rows(_ records: [[String]], territory: Territory, mapping: ColumnMapping = AddressRowReader.mapping, keepGoing: Bool = false)
        -> (rows: [(line: Int, address: StandardAddress?, issues: [ImportIssue])], options: AddressImportOptions)
    {
        var options = AddressImportOptions()
        options.keepGoing = keepGoing
        options.source = "addresses.csv"
        let (columns, missing) = mapping.resolve(Self.header)
        precondition(missing.isEmpty)
        let reader = AddressRowReader(header: Self.header, columns: columns, territory: territory, options: options)
        return (records.enumerated().map { i, r in
            let (a, issues) = reader.read(r, line: i + 2)
            return (i + 2, a, issues)
        }, reader.options)
    }

    static let good: [[String]] = [
        ["A1", "临平街道", "西大街社区", "迎宾路", "12号", "星河苑", "三幢", "2", "301", "120.01", "30.01", "在用"],
        ["A2", "临平街道", "西大街社区", "迎宾路", "12", "星河苑", "3", "2", "302", "120.01", "30.01", ""],
        ["A3", "临平街道", "西大街社区", "迎宾路", "14", "", "", "", "", "120.03", "30.02", "停用"],
    ]

    @Test("good rows are stored with their grid; numbers are normalised; the matcher finds them")
    func importGood() async throws {
        let (regions, addresses) = try await services()
        let (rows, options) = rows(Self.good, territory: regions.territory())
        let result = try await addresses.importAddresses(rows, options: options)
        #expect(result.inserted == 3 && result.issues.isEmpty)
        let a1 = try #require(addresses.address("A1"))
        #expect(a1.elements.building == "3" && a1.elements.houseNumber == "12" && a1.elements.floor == "3")
        #expect(a1.gridCode?.rawValue == "33011000100101")
        #expect(addresses.address("A3")?.gridCode?.rawValue == "33011000100102")
        #expect(addresses.address("A3")?.status == .retired)
        #expect(addresses.match("星河苑3栋2单元301").best?.address.code == "A1")
        // Stored: a fresh service reads the same.
        let again = AddressService(store: regions.store, regions: regions)
        try await again.load()
        #expect(again.address("A1") == a1)
        // The same rows again change nothing.
        let second = try await addresses.importAddresses(rows, options: options)
        #expect(second.unchanged == 3 && second.batch == nil)
    }

    @Test("each bad row is reported with its line and column, and nothing is written", arguments: [
        (["", "临平街道", "西大街社区", "迎宾路", "12", "", "", "", "", "120.01", "30.01", ""], "地址编码", "empty"),
        (["B1", "临平街道", "西大街社区", "迎宾路", "12", "", "", "", "", "东经120", "30.01", ""], "经度", "not a number"),
        (["B1", "临平街道", "西大街社区", "迎宾路", "12", "", "", "", "", "121.5", "30.01", ""], "经度", "outside every grid"),
        (["B1", "临平街道", "西大街社区", "迎宾路", "12", "", "", "", "", "30.01", "120.01", ""], "经度", "swapped"),
        (["B1", "临平街道", "西大街社区", "迎宾路", "12", "", "", "", "", "120.01", "30.01", "拆除"], "状态", "unknown status"),
        (["B1", "临平街道", "西大街社区", "", "", "星河苑", "", "", "", "120.01", "30.01", ""], nil, "cannot be told apart"),
        (["A1", "临平街道", "西大街社区", "迎宾路", "99", "", "", "", "", "120.01", "30.01", ""], "地址编码", "appears again"),
    ] as [([String], String?, String)])
    func badRows(row: [String], column: String?, reason: String) async throws {
        let (regions, addresses) = try await services()
        let (rows, options) = rows(Self.good + [row], territory: regions.territory())
        do {
            _ = try await addresses.importAddresses(rows, options: options)
            Issue.record("accepted")
        } catch let rejected as AddressImportRejected {
            let errors = rejected.issues.filter { $0.severity == .error }
            #expect(errors.count == 1)
            #expect(errors.first?.line == 5)
            #expect(errors.first?.column == column)
            #expect(errors.first?.reason.contains(reason) == true, "\(errors)")
        }
        #expect(try await regions.store.loadAddresses().isEmpty)
        #expect(addresses.count == 0)
    }

    @Test("--keep-going writes the valid rows and reports the others")
    func keepGoing() async throws {
        let (regions, addresses) = try await services()
        let bad = ["B1", "临平街道", "西大街社区", "迎宾路", "12", "", "", "", "", "121.5", "30.01", ""]
        let (rows, options) = rows(Self.good + [bad], territory: regions.territory(), keepGoing: true)
        let result = try await addresses.importAddresses(rows, options: options)
        #expect(result.inserted == 3)
        #expect(result.issues.map(\.line) == [5])
        #expect(try await regions.store.loadAddresses().count == 3)
    }

    @Test("a community that disagrees with the coordinates is a warning")
    func communityWarning() async throws {
        let (regions, addresses) = try await services()
        var row = Self.good[0]
        row[2] = "星火社区"
        let (rows, options) = rows([row], territory: regions.territory())
        let result = try await addresses.importAddresses(rows, options: options)
        #expect(result.inserted == 1)
        #expect(result.issues.first?.severity == .warning)
        #expect(result.issues.first?.reason.contains("西大街社区") == true)
    }

    @Test("a mapping file names other columns")
    func mapping() throws {
        let mapping = try AddressRowReader.mapping.applying("# our export\nroad = 道路名称\nlongitude=X坐标\n")
        let (columns, missing) = mapping.resolve(["地址编码", "道路名称", "X坐标", "纬度"])
        #expect(missing.isEmpty)
        #expect(columns["road"] == 1 && columns["longitude"] == 2)
        #expect(throws: ColumnMapping.Invalid.self) { _ = try AddressRowReader.mapping.applying("colour = 颜色") }
        #expect(throws: ColumnMapping.Invalid.self) { _ = try AddressRowReader.mapping.applying("road") }
        #expect(AddressRowReader.mapping.resolve(["地址"]).missing == ["code", "longitude", "latitude"])
    }

    @Test("when grid boundaries move, addresses follow into their new grid")
    func reassignment() async throws {
        let (regions, addresses) = try await services()
        // An address just west of the boundary between the two grids (x = 120.025).
        let row = ["C1", "临平街道", "西大街社区", "迎宾路", "20", "", "", "", "", "120.027", "30.02", ""]
        let (rows, options) = rows([row], territory: regions.territory())
        _ = try await addresses.importAddresses(rows, options: options)
        #expect(addresses.address("C1")?.gridCode?.rawValue == "33011000100102")
        // The boundary moves east to 120.03: the address is now in grid 01.
        var items = Fixture.territory()
        items[5].ring = Fixture.box(120.0, 30.0, 120.03, 30.05)
        items[6].ring = Fixture.box(120.03, 30.0, 120.05, 30.05)
        try await Fixture.importFile(Fixture.geojson(items), into: regions, options: Fixture.options(validFrom: Date().addingTimeInterval(-60)))
        #expect(addresses.address("C1")?.gridCode?.rawValue == "33011000100101")
        #expect(try await regions.store.loadAddresses().first?.gridCode?.rawValue == "33011000100101")
    }

    @Test("number fields as departments fill them in")
    func numbers() {
        #expect(AddressNormalizer.normalizeNumber("三幢") == "3")
        #expect(AddressNormalizer.normalizeNumber("三") == "3")
        #expect(AddressNormalizer.normalizeNumber("１２号") == "12")
        #expect(AddressNormalizer.normalizeNumber("A座") == "A")
        #expect(AddressNormalizer.normalizeNumber("5号楼") == "5")
        #expect(AddressNormalizer.normalizeNumber("十二单元") == "12")
        #expect(AddressNormalizer.normalizeNumber("301室") == "301")
    }
}
