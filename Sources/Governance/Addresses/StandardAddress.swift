import GeoKit

/// An entry of the standard address library (标准地址库).
public struct StandardAddress: Sendable, Hashable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case inUse = "in-use"
        case retired
    }

    /// The address code: the 12-digit code of the community it was created in, then an 8-digit
    /// serial. It identifies the address for good; it does not follow later boundary changes
    /// (the grid does).
    public var code: String
    public var elements: AddressElements
    /// WGS-84.
    public var coordinate: Coordinate
    /// The grid containing the coordinate under the boundaries in force (kept up to date when they change).
    public var gridCode: RegionCode?
    public var status: Status

    public init(code: String, elements: AddressElements, coordinate: Coordinate, gridCode: RegionCode? = nil, status: Status = .inUse) {
        self.code = code
        self.elements = elements
        self.coordinate = coordinate
        self.gridCode = gridCode
        self.status = status
    }
}

/// An old or alternative name of a road or compound (街路巷更名).
public struct PlaceAlias: Sendable, Hashable {
    public var kind: PlaceNameKind
    public var name: String
    /// The name in the library today.
    public var currentName: String

    public init(kind: PlaceNameKind, name: String, currentName: String) {
        self.kind = kind
        self.name = name
        self.currentName = currentName
    }
}

/// Builds standard addresses from stored rows: element values repeat across millions of rows, so
/// each distinct value is kept once, and each grid code (a district has a few thousand) parsed once.
public struct StoredAddressBuilder {
    private var strings: [String: String] = [:]
    private var grids: [String: RegionCode] = [:]

    public init() {}

    /// `values`: province, city, district, township, community, road, house number, village group,
    /// compound, building, unit, floor, room — as stored.
    public mutating func address(code: String, elements values: [String?], longitude: Double, latitude: Double, grid: String?,
                                 status: String) throws -> StandardAddress {
        precondition(values.count == 13, "thirteen address elements")
        var v: [String?] = []
        for value in values { v.append(shared(value)) }
        return StandardAddress(
            code: code,
            elements: AddressElements(province: v[0], city: v[1], district: v[2], township: v[3], community: v[4], road: v[5], houseNumber: v[6],
                                      villageGroup: v[7], compound: v[8], building: v[9], unit: v[10], floor: v[11], room: v[12]),
            coordinate: Coordinate(longitude: longitude, latitude: latitude), gridCode: try gridCode(grid),
            status: StandardAddress.Status(rawValue: status) ?? .inUse)
    }

    private mutating func shared(_ s: String?) -> String? {
        guard let s else { return nil }
        if let existing = strings[s] { return existing }
        strings[s] = s
        return s
    }

    private mutating func gridCode(_ text: String?) throws -> RegionCode? {
        guard let text else { return nil }
        if let code = grids[text] { return code }
        let code = try RegionCode(text)
        grids[text] = code
        return code
    }
}
