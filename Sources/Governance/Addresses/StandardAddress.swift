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
