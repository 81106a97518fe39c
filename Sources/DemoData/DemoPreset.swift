/// How big a demo district to generate.
public enum DemoPreset: String, CaseIterable, Sendable {
    /// One street, three communities, six grids: for fast tests.
    case tiny
    /// Three streets with all their communities and a few hundred grids: the default demo.
    case small
    /// The figures of DOMAIN.md: 20 streets/towns, 344 communities, 1,476 grids, 1,575 grid workers.
    case district

    /// How many streets (in the order of divisions.json) get communities and grids; nil for all.
    var populatedStreets: Int? {
        switch self {
        case .tiny: 1
        case .small: 3
        case .district: nil
        }
    }

    /// Communities per populated street; nil for all of them.
    var communitiesPerStreet: Int? { self == .tiny ? 3 : nil }

    /// Grids per community, before adjusting to ``totalGrids``.
    var gridsPerCommunity: ClosedRange<Int> {
        switch self {
        case .tiny: 2...2
        case .small: 2...4
        case .district: 3...6
        }
    }

    /// Exact total of grids when the preset fixes one.
    var totalGrids: Int? { self == .district ? 1476 : nil }

    /// Grid workers for a given number of grids (the district's ratio 1,575 : 1,476).
    func workerCount(grids: Int) -> Int {
        self == .district ? 1575 : max(grids + 1, Int((Double(grids) * 1575 / 1476).rounded()))
    }
}
