import Foundation
import GeoKit

/// How to read an address file.
public struct AddressImportOptions: Sendable {
    /// Datum of the coordinates (a `crs` column overrides it per row).
    public var coordinateSystem: CoordinateSystem = .wgs84
    /// Commit the valid rows and report the others, instead of refusing the whole file.
    public var keepGoing = false
    public var source = ""
    public var actor = "cli"
    /// The file's name for each field, so that findings name the column as the file does.
    public var columnNames: [String: String] = [:]

    public init() {}

    func column(_ field: String) -> String { columnNames[field] ?? field }
}

/// What an address import did.
public struct AddressImportResult: Sendable {
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    /// Errors (rows left out) and warnings.
    public var issues: [ImportIssue]
    public var batch: ImportBatch?
}

/// An import refused as a whole (nothing was written): the issues say why.
public struct AddressImportRejected: Error, CustomStringConvertible {
    public var issues: [ImportIssue]
    public var description: String {
        "the import was refused, nothing was written: \(issues.filter { $0.severity == .error }.count) rows have errors"
    }
}

/// Turns rows of an address file into standard addresses, checking each field.
public struct AddressRowReader: Sendable {
    public static let mapping = ColumnMapping(fields: [
        ("code", ["code", "地址编码", "编码", "标准地址编码", "address_code"]),
        ("province", ["province", "省", "省份"]),
        ("city", ["city", "市", "地市"]),
        ("district", ["district", "区县", "区", "县"]),
        ("township", ["township", "街道", "乡镇", "街道乡镇", "街道（乡镇）", "street"]),
        ("community", ["community", "社区", "村", "社区村", "社区（村）", "村社区"]),
        ("road", ["road", "街路巷", "道路", "路", "街巷"]),
        ("house_number", ["house_number", "门牌号", "门牌", "号"]),
        ("village_group", ["village_group", "组", "村民小组", "小组"]),
        ("compound", ["compound", "小区", "小区名称", "院落", "单位院"]),
        ("building", ["building", "幢", "楼栋", "楼幢", "楼幢号", "栋"]),
        ("unit", ["unit", "单元", "单元号"]),
        ("floor", ["floor", "层", "楼层"]),
        ("room", ["room", "室", "户室号", "房号", "户"]),
        ("longitude", ["longitude", "lon", "lng", "经度", "x"]),
        ("latitude", ["latitude", "lat", "纬度", "y"]),
        ("crs", ["crs", "坐标系"]),
        ("status", ["status", "状态"]),
    ], required: ["code", "longitude", "latitude"])

    public let columns: [String: Int]
    public let header: [String]
    public let territory: Territory
    public let options: AddressImportOptions

    public init(header: [String], columns: [String: Int], territory: Territory, options: AddressImportOptions) {
        self.header = header
        self.columns = columns
        self.territory = territory
        var options = options
        for (field, i) in columns { options.columnNames[field] = header[i] }
        self.options = options
    }

    static let codeCharacters = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")

    /// The address of one row, or the reasons it has none; warnings may come with an address.
    public func read(_ fields: [String], line: Int) -> (address: StandardAddress?, issues: [ImportIssue]) {
        var issues: [ImportIssue] = []
        func value(_ field: String) -> String? {
            guard let i = columns[field], i < fields.count else { return nil }
            let v = fields[i].trimmingWhitespace
            return v.isEmpty ? nil : v
        }
        func column(_ field: String) -> String? { columns[field].map { header[$0] } }
        func fail(_ field: String?, _ reason: String) {
            issues.append(ImportIssue(.error, line: line, column: field.flatMap(column), value: field.flatMap(value), reason: reason))
        }

        guard let code = value("code") else {
            fail("code", "the address code is empty")
            return (nil, issues)
        }
        if code.count > 40 || !code.allSatisfy(Self.codeCharacters.contains) { fail("code", "an address code is up to 40 letters, digits, - and _") }

        var crs = options.coordinateSystem
        if let text = value("crs") {
            if let c = CoordinateSystem(rawValue: text.lowercased()) { crs = c } else {
                fail("crs", "unknown coordinate system (use wgs84, cgcs2000, gcj02 or bd09)")
            }
        }
        let lon = value("longitude").flatMap(Double.init), lat = value("latitude").flatMap(Double.init)
        if lon == nil || !(lon!.isFinite) { fail("longitude", value("longitude") == nil ? "the longitude is empty" : "the longitude is not a number") }
        if lat == nil || !(lat!.isFinite) { fail("latitude", value("latitude") == nil ? "the latitude is empty" : "the latitude is not a number") }

        var status = StandardAddress.Status.inUse
        if let text = value("status") {
            switch text.lowercased() {
            case "in-use", "in use", "active", "在用", "正常", "有效": status = .inUse
            case "retired", "停用", "注销", "废止", "无效": status = .retired
            default: fail("status", "unknown status (use 在用/in-use or 停用/retired)")
            }
        }
        func number(_ field: String) -> String? { value(field).map(AddressNormalizer.normalizeNumber) }
        var elements = AddressElements(
            province: value("province"), city: value("city"), district: value("district"), township: value("township"),
            community: value("community"), road: value("road"), houseNumber: number("house_number"), villageGroup: number("village_group"),
            compound: value("compound"), building: number("building"), unit: number("unit"), floor: number("floor"), room: number("room"))
        if elements.floor == nil, let room = elements.room, room.count >= 3, room.allSatisfy(\.isASCIIDigit) {
            elements.floor = String(Int(room.dropLast(2)) ?? 0)
        }
        let identified = (elements.compound != nil && elements.building != nil) || (elements.road != nil && elements.houseNumber != nil)
            || (elements.community != nil && elements.villageGroup != nil && elements.houseNumber != nil)
        if !identified {
            fail(nil, "the address cannot be told apart: it needs a compound and building, a road and house number, or a village, group and house number")
        }
        guard issues.isEmpty, let lon, let lat else { return (nil, issues) }

        let raw = Coordinate(longitude: lon, latitude: lat)
        if CoordinateTransform.isOutsideChina(raw) {
            let swapped = !CoordinateTransform.isOutsideChina(Coordinate(longitude: lat, latitude: lon))
            fail("longitude", swapped ? "the coordinates look like latitude and longitude swapped" : "the coordinates lie outside China")
            return (nil, issues)
        }
        let position = CoordinateTransform.toWGS84(raw, from: crs)
        guard let grid = territory.grid(at: position) else {
            fail("longitude", "the coordinates (\(lon), \(lat)) lie outside every grid of the territory")
            return (nil, issues)
        }
        // The place the coordinates say against the names the row says.
        let lineage = territory.lineage(of: grid.code)
        if let said = elements.community, let actual = lineage.first(where: { $0.level == .community })?.name, said != actual {
            issues.append(ImportIssue(.warning, line: line, column: column("community"), value: said,
                                      reason: "the coordinates lie in \(actual), not in \(said)"))
        }
        return (StandardAddress(code: code, elements: elements, coordinate: position, gridCode: grid.code, status: status), issues)
    }
}

extension AddressNormalizer {
    /// A number field as departments fill it in (三幢, １２号, A座, 5号楼) reduced to its number (3, 12, A, 5).
    public static func normalizeNumber(_ text: String) -> String {
        let plain = Array(text.trimmingWhitespace.unicodeScalars)
        if !plain.isEmpty, plain.allSatisfy({ numeralValues[$0] != nil || $0 == "十" || $0 == "百" }), let n = chineseNumber(plain[...]) {
            return String(n)
        }
        var scalars = normalizedScalars(text)
        // Drop the unit word the normaliser wrote after the number.
        let words: [[Unicode.Scalar]] = ["单元", "号", "幢", "室", "层", "组"].map { Array($0.unicodeScalars) }
        for w in words where scalars.count > w.count && Array(scalars.suffix(w.count)) == w {
            scalars.removeLast(w.count)
            break
        }
        var s = String()
        s.unicodeScalars.append(contentsOf: scalars)
        return s
    }
}
