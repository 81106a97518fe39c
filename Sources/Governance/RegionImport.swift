import Foundation
import GeoKit

/// How to read region features from a file.
public struct RegionImportOptions: Sendable {
    /// Property holding the region code (12-digit division or 14-digit grid code).
    public var codeProperty: String = "code"
    public var nameProperty: String = "name"
    /// Optional property declaring the level; checked against the code.
    public var levelProperty: String = "level"
    /// Optional property naming the parent's code; derived from the code when absent.
    public var parentProperty: String = "parent"
    /// Datum of the file's coordinates; stored converted to WGS-84.
    public var coordinateSystem: CoordinateSystem = .wgs84
    /// When the versions take effect (and the ones they replace end).
    public var validFrom: Date = Date()
    /// Whether regions in force under a parent that the file supplies children for, but that are not
    /// in the file, end at `validFrom` (the file is the complete new set of children).
    public var retireMissing = false
    public var tolerances = RegionValidationTolerances()
    /// Source name recorded with the batch.
    public var source = ""
    public var actor = "cli"

    public init() {}
}

/// Reads GeoJSON features into drafts, checking what can only be checked on the raw numbers:
/// coordinates that look like latitude/longitude swapped, or that lie outside China.
public struct RegionFeatureReader: Sendable {
    public var options: RegionImportOptions

    public init(options: RegionImportOptions) {
        self.options = options
    }

    public func drafts(from features: [Feature]) -> (drafts: [RegionDraft], issues: [RegionValidationIssue]) {
        var drafts: [RegionDraft] = []
        var issues: [RegionValidationIssue] = []
        for (i, feature) in features.enumerated() {
            let p = feature.properties
            let codeText = p[options.codeProperty]?.textValue ?? feature.id?.textValue
            guard let codeText, !codeText.isEmpty else {
                issues.append(RegionValidationIssue(.error, .missingProperty, featureIndex: i, code: nil,
                    message: "property \"\(options.codeProperty)\" (the region code) is missing; properties present: \(p.keys.joined(separator: ", "))"))
                continue
            }
            let code: RegionCode
            do { code = try RegionCode(codeText) } catch {
                issues.append(RegionValidationIssue(.error, .invalidCode, featureIndex: i, code: codeText, message: "property \"\(options.codeProperty)\": \(error.reason)"))
                continue
            }
            guard let name = p[options.nameProperty]?.textValue else {
                issues.append(RegionValidationIssue(.error, .missingProperty, featureIndex: i, code: code.rawValue, message: "property \"\(options.nameProperty)\" (the name) is missing"))
                continue
            }
            var declaredLevel: RegionLevel?
            if let levelText = p[options.levelProperty]?.textValue, !levelText.isEmpty {
                guard let level = RegionLevel(text: levelText) else {
                    issues.append(RegionValidationIssue(.error, .levelMismatch, featureIndex: i, code: code.rawValue,
                        message: "property \"\(options.levelProperty)\": unknown level \"\(levelText)\" (use district, street, community or grid)"))
                    continue
                }
                declaredLevel = level
            }
            var declaredParent: RegionCode?
            if let parentText = p[options.parentProperty]?.textValue, !parentText.isEmpty {
                do { declaredParent = try RegionCode(parentText) } catch {
                    issues.append(RegionValidationIssue(.error, .invalidCode, featureIndex: i, code: code.rawValue, message: "property \"\(options.parentProperty)\": \(error.reason)"))
                    continue
                }
            }
            // An export in another datum says so; importing it as if it were WGS-84 would shift it by hundreds of metres.
            if let stated = p["crs"]?.stringValue, let crs = CoordinateSystem(rawValue: stated.lowercased()),
               crs != options.coordinateSystem, !(Set([crs, options.coordinateSystem]) == [.wgs84, .cgcs2000]) {
                issues.append(RegionValidationIssue(.error, .invalidFeature, featureIndex: i, code: code.rawValue,
                    message: "the feature says its coordinates are \(crs.rawValue), but the import reads them as \(options.coordinateSystem.rawValue) (use --crs \(crs.rawValue))"))
                continue
            }
            guard let geometry = feature.geometry?.asMultiPolygon else {
                issues.append(RegionValidationIssue(.error, .notAPolygon, featureIndex: i, code: code.rawValue,
                    message: "the geometry must be a Polygon or MultiPolygon, not \(feature.geometry?.typeName ?? "null")"))
                continue
            }
            if let plausibility = plausibilityIssue(geometry, featureIndex: i, code: code) {
                issues.append(plausibility)
                continue
            }
            let converted = options.coordinateSystem == .wgs84 || options.coordinateSystem == .cgcs2000
                ? geometry
                : geometry.mapCoordinates { CoordinateTransform.toWGS84($0, from: options.coordinateSystem) }
            drafts.append(RegionDraft(featureIndex: i, code: code, name: name.trimmingWhitespace,
                                      declaredLevel: declaredLevel, declaredParent: declaredParent, geometry: converted))
        }
        return (drafts, issues)
    }

    func plausibilityIssue(_ geometry: MultiPolygon, featureIndex: Int, code: RegionCode) -> RegionValidationIssue? {
        let positions = geometry.polygons.flatMap { $0.rings.flatMap(\.coordinates) }
        guard positions.allSatisfy(\.isFinite) else { return nil }  // reported as a ring defect
        let outside = positions.filter { CoordinateTransform.isOutsideChina($0) }
        guard let first = outside.first else { return nil }
        let swappedInside = outside.allSatisfy {
            !CoordinateTransform.isOutsideChina(Coordinate(longitude: $0.latitude, latitude: $0.longitude))
        }
        if swappedInside && outside.count == positions.count {
            return RegionValidationIssue(.error, .swappedCoordinates, featureIndex: featureIndex, code: code.rawValue,
                message: "positions look like [latitude, longitude] (first: [\(first.longitude), \(first.latitude)]); GeoJSON wants [longitude, latitude]")
        }
        return RegionValidationIssue(.error, .outsideChina, featureIndex: featureIndex, code: code.rawValue,
            message: "\(outside.count) of \(positions.count) positions lie outside China (first: [\(first.longitude), \(first.latitude)])")
    }
}

/// What an import did.
public struct RegionImportResult: Sendable {
    public var report: RegionValidationReport
    /// The stored batch; nil for a dry run or when nothing changed.
    public var batch: ImportBatch?
    public var inserted: Int
    public var closed: Int
    public var unchanged: Int
}

/// An import refused because of validation errors; nothing was written.
public struct RegionImportRejected: Error, CustomStringConvertible {
    public var report: RegionValidationReport
    public var description: String { "import refused, nothing was written:\n\(report)" }
}
