import Foundation
import GeoKit

/// One finding of region validation, with enough context to find it in the source file.
public struct RegionValidationIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    /// Stable identifiers of what can be wrong (also the keys for translated messages).
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invalidFeature, missingProperty, invalidCode, levelMismatch, emptyName
        case duplicateCode, missingParent, parentLevelMismatch, codeParentMismatch
        case notAPolygon, notClosed, selfIntersection, ringsIntersect, holeOutsideExterior, tooFewPositions, invalidNumber
        case swappedCoordinates, outsideChina
        case outsideParent, overlap, gap
        case versionOrder
    }

    public var severity: Severity
    public var kind: Kind
    /// Index of the feature in the source file (0-based), when it came from a file.
    public var featureIndex: Int?
    public var code: String?
    /// The other region involved (overlaps, parents).
    public var otherCode: String?
    public var message: String
    public var areaSquareMetres: Double?

    public init(
        _ severity: Severity, _ kind: Kind, featureIndex: Int?, code: String?, otherCode: String? = nil,
        message: String, areaSquareMetres: Double? = nil
    ) {
        self.severity = severity
        self.kind = kind
        self.featureIndex = featureIndex
        self.code = code
        self.otherCode = otherCode
        self.message = message
        self.areaSquareMetres = areaSquareMetres
    }

    public var description: String {
        var place: [String] = []
        if let featureIndex { place.append("feature \(featureIndex)") }
        if let code { place.append(code) }
        return "\(severity.rawValue) [\(kind.rawValue)] \(place.joined(separator: " "))\(place.isEmpty ? "" : ": ")\(message)"
    }
}

/// The outcome of validating an import.
public struct RegionValidationReport: Sendable, CustomStringConvertible {
    public var issues: [RegionValidationIssue]
    public var featureCount: Int

    public var errors: [RegionValidationIssue] { issues.filter { $0.severity == .error } }
    public var warnings: [RegionValidationIssue] { issues.filter { $0.severity == .warning } }
    public var isAcceptable: Bool { errors.isEmpty }

    public var description: String {
        var lines = ["\(featureCount) features: \(errors.count) errors, \(warnings.count) warnings"]
        lines += issues.map(\.description)
        return lines.joined(separator: "\n")
    }
}

/// A region as read from a file or generated, before validation: the level may be unknown and the
/// parent implicit.
public struct RegionDraft: Sendable {
    public var featureIndex: Int?
    public var code: RegionCode
    public var name: String
    /// The level the source declared, checked against the code's own level.
    public var declaredLevel: RegionLevel?
    public var declaredParent: RegionCode?
    /// Boundary in WGS-84.
    public var geometry: MultiPolygon

    public init(featureIndex: Int?, code: RegionCode, name: String, declaredLevel: RegionLevel? = nil, declaredParent: RegionCode? = nil, geometry: MultiPolygon) {
        self.featureIndex = featureIndex
        self.code = code
        self.name = name
        self.declaredLevel = declaredLevel
        self.declaredParent = declaredParent
        self.geometry = geometry
    }

    public var parentCode: RegionCode? { declaredParent ?? code.derivedParent }
}

/// Thresholds of topological checks.
public struct RegionValidationTolerances: Sendable {
    /// Overlaps between siblings and parts of a child outside its parent above this area are errors.
    public var overlapSquareMetres: Double = 1
    /// Uncovered parts of a parent above this area are reported (as warnings: a street may
    /// legitimately not be fully gridded yet).
    public var gapSquareMetres: Double = 1

    public init(overlapSquareMetres: Double = 1, gapSquareMetres: Double = 1) {
        self.overlapSquareMetres = overlapSquareMetres
        self.gapSquareMetres = gapSquareMetres
    }
}

/// Checks a set of drafts against each other and against the regions already in force.
public struct RegionValidator: Sendable {
    public var tolerances: RegionValidationTolerances

    public init(tolerances: RegionValidationTolerances = RegionValidationTolerances()) {
        self.tolerances = tolerances
    }

    /// Geometry checks that do not need other regions: ring defects. Coordinate plausibility is
    /// checked before datum conversion (see ``RegionFeatureReader``).
    public func geometryIssues(of draft: RegionDraft) -> [RegionValidationIssue] {
        let several = draft.geometry.polygons.count > 1
        return PolygonValidation.defects(of: draft.geometry).map { part, defect in
            let kind: RegionValidationIssue.Kind
            switch defect {
            case .notClosed: kind = .notClosed
            case .selfIntersection: kind = .selfIntersection
            case .ringsIntersect, .partsOverlap: kind = .ringsIntersect
            case .holeOutsideExterior: kind = .holeOutsideExterior
            case .tooFewPositions, .empty: kind = .tooFewPositions
            case .invalidNumber: kind = .invalidNumber
            }
            let which = several && !{ if case .partsOverlap = defect { true } else { false } }() ? "polygon \(part), " : ""
            return RegionValidationIssue(.error, kind, featureIndex: draft.featureIndex, code: draft.code.rawValue, message: which + defect.description)
        }
    }

    /// Every check; `existing` is the territory in force when the drafts take effect, less the
    /// regions in `retiring` (which end when the drafts begin).
    public func validate(_ drafts: [RegionDraft], against existing: Territory, retiring: Set<RegionCode> = [], progress: ((String) -> Void)? = nil) -> RegionValidationReport {
        var issues: [RegionValidationIssue] = []
        func add(_ i: RegionValidationIssue) { issues.append(i) }

        // Codes, names, levels, duplicates.
        var firstIndexOfCode: [RegionCode: Int] = [:]
        for (i, d) in drafts.enumerated() {
            let where_ = (d.featureIndex, d.code.rawValue)
            if let previous = firstIndexOfCode[d.code] {
                add(RegionValidationIssue(.error, .duplicateCode, featureIndex: where_.0, code: where_.1,
                    message: "code \(d.code) appears again (first at feature \(drafts[previous].featureIndex.map(String.init) ?? "?"))"))
            } else {
                firstIndexOfCode[d.code] = i
            }
            if d.name.trimmingWhitespace.isEmpty {
                add(RegionValidationIssue(.error, .emptyName, featureIndex: where_.0, code: where_.1, message: "the region has no name"))
            }
            if let declared = d.declaredLevel, declared != d.code.level {
                add(RegionValidationIssue(.error, .levelMismatch, featureIndex: where_.0, code: where_.1,
                    message: "declared level \(declared.rawValue) but the code is a \(d.code.level.rawValue) code"))
            }
            issues += geometryIssues(of: d)
        }

        // Parents: in the file or already in force; one level up; codes consistent.
        let draftsByCode = Dictionary(drafts.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for d in drafts {
            guard let parent = d.parentCode else {
                if d.code.level > .district {
                    add(RegionValidationIssue(.error, .missingParent, featureIndex: d.featureIndex, code: d.code.rawValue, message: "a \(d.code.level.rawValue) needs a parent"))
                }
                continue
            }
            let parentInForce = retiring.contains(parent) ? nil : existing.region(parent)
            let parentLevel = draftsByCode[parent]?.code.level ?? parentInForce?.level
            guard let parentLevel else {
                // Top-level districts may come without their city.
                if d.code.level > .district || d.declaredParent != nil {
                    add(RegionValidationIssue(.error, .missingParent, featureIndex: d.featureIndex, code: d.code.rawValue, otherCode: parent.rawValue,
                        message: retiring.contains(parent) ? "parent \(parent) is being retired by this import" : "parent \(parent) is neither in the file nor already in force"))
                }
                continue
            }
            if parentLevel.depth >= d.code.level.depth {
                add(RegionValidationIssue(.error, .parentLevelMismatch, featureIndex: d.featureIndex, code: d.code.rawValue, otherCode: parent.rawValue,
                    message: "parent \(parent) is a \(parentLevel.rawValue), not above a \(d.code.level.rawValue)"))
            }
            if let derived = d.code.derivedParent, derived != parent, !d.code.isDescendant(of: parent) {
                add(RegionValidationIssue(.error, .codeParentMismatch, featureIndex: d.featureIndex, code: d.code.rawValue, otherCode: parent.rawValue,
                    message: "code \(d.code) does not start with its parent's code \(parent.shortForm)"))
            }
        }

        // Topology only makes sense on valid geometry.
        let brokenCodes = Set(issues.filter { $0.severity == .error && [.notClosed, .selfIntersection, .ringsIntersect, .holeOutsideExterior, .tooFewPositions, .invalidNumber].contains($0.kind) }.compactMap(\.code))
        issues += topologyIssues(drafts.filter { !brokenCodes.contains($0.code.rawValue) }, against: existing, retiring: retiring, progress: progress)

        issues.sort { ($0.featureIndex ?? Int.max, $0.kind.rawValue) < ($1.featureIndex ?? Int.max, $1.kind.rawValue) }
        return RegionValidationReport(issues: issues, featureCount: drafts.count)
    }

    /// Children outside their parent, overlapping siblings, gaps in a parent's cover.
    func topologyIssues(_ drafts: [RegionDraft], against existing: Territory, retiring: Set<RegionCode>, progress: ((String) -> Void)?) -> [RegionValidationIssue] {
        var issues: [RegionValidationIssue] = []
        struct Node {
            var code: RegionCode
            var parent: RegionCode?
            var featureIndex: Int?
            var fromFile: Bool
            var operand: PolygonOverlay.Operand
        }
        let fileCodes = Set(drafts.map(\.code))
        var nodes: [RegionCode: Node] = [:]
        for d in drafts {
            nodes[d.code] = Node(code: d.code, parent: d.parentCode, featureIndex: d.featureIndex, fromFile: true, operand: PolygonOverlay.Operand(d.geometry))
        }
        // Regions in force that the drafts touch: their parents, and their siblings not being replaced.
        let touchedParents = Set(drafts.compactMap(\.parentCode))
        for p in touchedParents where nodes[p] == nil && !retiring.contains(p) {
            if let r = existing.region(p) {
                nodes[p] = Node(code: r.code, parent: r.parentCode, featureIndex: nil, fromFile: false, operand: PolygonOverlay.Operand(r.geometry))
            }
            for sibling in existing.children(of: p) where !fileCodes.contains(sibling.code) && !retiring.contains(sibling.code) {
                nodes[sibling.code] = Node(code: sibling.code, parent: sibling.parentCode, featureIndex: nil, fromFile: false, operand: PolygonOverlay.Operand(sibling.geometry))
            }
        }
        // Children of file regions that stay in force are measured against the new parent boundary.
        for d in drafts {
            for child in existing.children(of: d.code) where nodes[child.code] == nil && !retiring.contains(child.code) {
                nodes[child.code] = Node(code: child.code, parent: child.parentCode, featureIndex: nil, fromFile: false, operand: PolygonOverlay.Operand(child.geometry))
            }
        }
        var childrenOf: [RegionCode: [RegionCode]] = [:]
        for n in nodes.values { if let p = n.parent, nodes[p] != nil { childrenOf[p, default: []].append(n.code) } }

        let parents = childrenOf.keys.sorted()
        for (k, parentCode) in parents.enumerated() {
            if k % 25 == 0 { progress?("checking topology \(k + 1)/\(parents.count)") }
            let parent = nodes[parentCode]!
            let children = childrenOf[parentCode]!.sorted().map { nodes[$0]! }
            guard children.contains(where: { $0.fromFile }) || parent.fromFile else { continue }
            var covered = 0.0
            for child in children {
                let inside = PolygonOverlay.intersectionArea(child.operand, parent.operand)
                covered += inside
                let outside = child.operand.area - inside
                if outside > tolerances.overlapSquareMetres && (child.fromFile || parent.fromFile) {
                    issues.append(RegionValidationIssue(.error, .outsideParent, featureIndex: child.featureIndex ?? parent.featureIndex, code: child.code.rawValue, otherCode: parentCode.rawValue,
                        message: "\(squareMetres(outside)) lie outside its parent \(parentCode)", areaSquareMetres: outside))
                }
            }
            var overlapping = 0.0
            for i in 0..<children.count {
                for j in (i + 1)..<children.count {
                    let a = children[i], b = children[j]
                    guard a.fromFile || b.fromFile, let ba = a.operand.boundingBox, let bb = b.operand.boundingBox, ba.intersects(bb) else { continue }
                    let area = PolygonOverlay.intersectionArea(a.operand, b.operand)
                    overlapping += area
                    if area > tolerances.overlapSquareMetres {
                        let (first, second) = a.fromFile ? (a, b) : (b, a)
                        issues.append(RegionValidationIssue(.error, .overlap, featureIndex: first.featureIndex, code: first.code.rawValue, otherCode: second.code.rawValue,
                            message: "overlaps sibling \(second.code) by \(squareMetres(area))", areaSquareMetres: area))
                    }
                }
            }
            let gap = parent.operand.area - covered + overlapping
            if gap > tolerances.gapSquareMetres {
                issues.append(RegionValidationIssue(.warning, .gap, featureIndex: parent.featureIndex, code: parentCode.rawValue,
                    message: "\(squareMetres(gap)) (\(String(format: "%.2f", 100 * gap / max(parent.operand.area, 1))) %) of it are covered by none of its \(children.count) children",
                    areaSquareMetres: gap))
            }
        }
        return issues
    }
}

func squareMetres(_ area: Double) -> String { String(format: "%.1f m²", area) }
