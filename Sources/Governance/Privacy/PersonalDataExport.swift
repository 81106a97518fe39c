import Foundation

/// Personal data leaving the system as a file: its own permission, a purpose, the territory's
/// records only, on the audit trail, and the file itself names who exported it, when and why.
public struct PersonalDataExport: Sendable {
    public let registries: RegistryService
    /// Larger exports are refused: bulk transfers go through the data exchange, not a download.
    public static let maximumRecords = 100_000

    public init(registries: RegistryService) { self.registries = registries }

    public struct File: Sendable {
        /// "Exported by … at … for …": the file's first line.
        public var notice: String
        public var header: [String]
        public var rows: [[String]]
    }

    public func export(_ kind: RegistryKind, in region: RegionCode, purpose: String, by principal: Principal,
                       at time: Date = Date(), requestID: String? = nil) async throws -> File {
        let why = purpose.trimmingCharacters(in: .whitespacesAndNewlines)
        guard why.count >= 4 else { throw AccountChangeRefused("purpose", "say why the data is exported (at least 4 characters)") }
        try principal.require(.personalDataExport)
        guard principal.territory.contains(region) else { throw AccessDenied.outsideTerritory }
        let scope = TerritoryScope(region)
        let codes = registries.addresses.snapshot.addresses.filter { $0.gridCode.map(scope.contains) ?? false }.map(\.code)
        var entries: [RegistryEntry] = []
        var start = 0
        while start < codes.count {
            entries += try await registries.entries(kind, atAddresses: Array(codes[start..<min(codes.count, start + 500)])).filter { !$0.isErased }
            guard entries.count <= Self.maximumRecords else {
                throw AccountChangeRefused("region", "more than \(Self.maximumRecords) records: export a smaller region")
            }
            start += 500
        }
        let fields = RegistrySchema.of(kind).fields.map(\.name).filter { $0 != "address" && $0 != "address_code" }
            + (kind == .person ? ["sex", "birth_date"] : [])
        let header = fields + ["address_code", "grid", "source", "updated_at"]
        let rows = entries.map { e in fields.map { e.fields[$0] ?? "" } + [e.addressCode, e.gridCode?.rawValue ?? "", e.source, isoTimestamp(e.updatedAt)] }
        _ = try await registries.store.appendAudit([AuditRecord(time: time, actor: principal.auditName, action: "export.\(kind.rawValue)",
                                                                target: "region:\(region)", purpose: "\(why) (\(rows.count) records)", requestID: requestID)])
        let notice = "# CityBrain export of \(rows.count) \(kind.rawValue) records in \(region), by \(principal.username) at \(isoTimestamp(time)), purpose: \(why). Personal data: handle under PIPL."
        return File(notice: notice, header: header, rows: rows)
    }
}
