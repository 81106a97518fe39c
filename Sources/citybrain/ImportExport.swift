import ArgumentParser
import DataFiles
import Foundation
import GeoKit
import Governance

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import data into the store.", subcommands: [ImportRegions.self, ImportAddresses.self, ImportPeople.self, ImportHouses.self, ImportEnterprises.self, ImportPlaces.self])
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export data from the store.", subcommands: [ExportRegions.self])
}

extension CoordinateSystem: ExpressibleByArgument {}

struct ImportRegions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regions",
        abstract: "Import districts, streets, communities and grids from a GeoJSON file.",
        discussion: """
            The file is validated as a whole: unclosed or self-intersecting rings, codes, parents, \
            children outside their parent, overlaps and gaps between siblings (with areas in m²), \
            coordinates that look swapped or lie outside China. With any error nothing is written. \
            Regions whose content changed get a new version valid from --valid-from; unchanged ones \
            are left alone.
            """)

    @Argument(help: "GeoJSON FeatureCollection of Polygon/MultiPolygon features.")
    var file: String

    @OptionGroup var store: StoreOptions

    @Option(help: "Property holding the 12-digit division or 14-digit grid code.")
    var codeProperty = "code"
    @Option(help: "Property holding the name.")
    var nameProperty = "name"
    @Option(help: "Property declaring the level (optional in the file; checked against the code).")
    var levelProperty = "level"
    @Option(help: "Property naming the parent's code (optional; derived from the code).")
    var parentProperty = "parent"
    @Option(help: "Datum of the file: wgs84, cgcs2000, gcj02 or bd09.")
    var crs: CoordinateSystem = .wgs84
    @Option(help: "When the new boundaries take effect (2026-12-01 or an ISO-8601 time); default now.")
    var validFrom: String?
    @Flag(help: "End regions that are in force under a parent the file gives children for, but are missing from the file.")
    var retireMissing = false
    @Option(help: "Overlaps and parts outside the parent larger than this many m² are errors.")
    var overlapTolerance: Double = 1
    @Option(help: "Uncovered parts of a parent larger than this many m² are reported as warnings.")
    var gapTolerance: Double = 1
    @Flag(help: "Validate only; write nothing.")
    var dryRun = false
    @Option(name: .customLong("report"), help: "Also write the validation report as CSV to this file.")
    var reportFile: String?

    func run() async throws {
        _ = makeLogger(store.logLevel)
        let progress = Progress()
        var options = RegionImportOptions()
        options.codeProperty = codeProperty
        options.nameProperty = nameProperty
        options.levelProperty = levelProperty
        options.parentProperty = parentProperty
        options.coordinateSystem = crs
        options.retireMissing = retireMissing
        options.tolerances = RegionValidationTolerances(overlapSquareMetres: overlapTolerance, gapSquareMetres: gapTolerance)
        options.source = URL(fileURLWithPath: file).lastPathComponent
        options.actor = cliActor
        if let validFrom {
            guard let d = parseInstant(validFrom) else { throw ValidationError("--valid-from: \"\(validFrom)\" is not a date (2026-12-01) or an ISO-8601 time") }
            options.validFrom = d
        }
        progress.update("reading \(file)")
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ValidationError("\(file): cannot be read (\(error.localizedDescription))")
        }
        let features: [Feature]
        do { features = try GeoJSON.decodeFeatures(data) } catch {
            progress.finish()
            printError("\(file): \(error)")
            throw ExitCode(2)
        }
        let (drafts, readIssues) = RegionFeatureReader(options: options).drafts(from: features)
        let regions = try await openServices(store, progress: progress).regions
        progress.update("validating \(drafts.count) regions")
        do {
            let result = try await regions.importRegions(drafts, readIssues: readIssues, options: options, dryRun: dryRun, progress: { progress.update($0) })
            progress.finish()
            printReport(result.report)
            try writeReport(result.report)
            if dryRun {
                print("Dry run: \(result.inserted) regions would be written (\(result.closed) versions closed, \(result.unchanged) unchanged). Nothing was written.")
            } else if let batch = result.batch {
                print("Imported \(result.inserted) regions as batch \(batch.id ?? 0) (\(result.closed) earlier versions closed, \(result.unchanged) unchanged).")
            } else {
                print("Nothing to import: all \(result.unchanged) regions are unchanged.")
            }
        } catch let rejected as RegionImportRejected {
            progress.finish()
            printReport(rejected.report)
            try writeReport(rejected.report)
            printError("Import refused: \(rejected.report.errors.count) errors. Nothing was written.")
            throw ExitCode(1)
        }
    }

    func printReport(_ report: RegionValidationReport) {
        for issue in report.issues { printError("\(file): \(issue)") }
        printError("\(file): \(report.featureCount) features, \(report.errors.count) errors, \(report.warnings.count) warnings")
    }

    func writeReport(_ report: RegionValidationReport) throws {
        guard let path = reportFile else { return }
        var csv = CSVWriter()
        csv.row(["feature", "code", "other_code", "severity", "kind", "area_m2", "message"])
        for i in report.issues {
            csv.row([i.featureIndex.map(String.init) ?? "", i.code ?? "", i.otherCode ?? "", i.severity.rawValue, i.kind.rawValue,
                     i.areaSquareMetres.map { String(format: "%.1f", $0) } ?? "", i.message])
        }
        try csv.write(to: path)
        printError("Report written to \(path).")
    }
}

struct ExportRegions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regions",
        abstract: "Export regions as GeoJSON (the property names the importer reads by default).")

    @OptionGroup var store: StoreOptions
    @Option(help: "Only this level: district, street, community or grid.")
    var level: String?
    @Option(help: "Only regions under (and including) this code.")
    var root: String?
    @Option(help: "Boundaries in force at this date or time; default now.")
    var at: String?
    @Option(help: "Datum of the output: wgs84, cgcs2000, gcj02 or bd09.")
    var crs: CoordinateSystem = .wgs84
    @Option(name: [.short, .long], help: "Output file; standard output when absent.")
    var output: String?

    func run() async throws {
        _ = makeLogger(store.logLevel)
        var levelFilter: RegionLevel?
        if let level {
            guard let l = RegionLevel(rawValue: level) else { throw ValidationError("--level: one of \(RegionLevel.allCases.map(\.rawValue).joined(separator: ", "))") }
            levelFilter = l
        }
        var rootCode: RegionCode?
        if let root {
            do { rootCode = try RegionCode(root) } catch { throw ValidationError("--root: \(error.description)") }
        }
        var instant: Date?
        if let at {
            guard let d = parseInstant(at) else { throw ValidationError("--at: \"\(at)\" is not a date or ISO-8601 time") }
            instant = d
        }
        let regions = try await openServices(store).regions
        let territory = regions.territory(at: instant)
        if let rootCode, territory.region(rootCode) == nil { throw ValidationError("--root: region \(rootCode) does not exist at that time") }
        let selected = territory.regions(level: levelFilter, under: rootCode)
        let features = selected.map { r in
            RegionExport.feature(r, coordinateSystem: crs, workers: r.level == .grid ? regions.gridWorkers.workers(of: r.code).count : nil)
        }
        let data = GeoJSON.encode(features)
        if let output {
            try data.write(to: URL(fileURLWithPath: output))
            printError("Wrote \(selected.count) regions to \(output).")
        } else {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}
