import Foundation

/// Re-encrypts every sealed value and recomputes every blind index under a new key version.
public struct KeyRotation: Sendable {
    public let store: any CityBrainStore

    public init(store: any CityBrainStore) { self.store = store }

    /// `vault` holds the old versions (to open) and the new current one (to seal). Records, claims
    /// and hand-picked layer members are rewritten; the key check follows the new version.
    public func reseal(with vault: PersonalDataVault, actor: String) async throws -> Int {
        let count = try await store.rewriteRegistries(
            audit: AuditRecord(actor: actor, action: "keys.rotate", target: "key:\(vault.ring.current)"),
            record: { stored, _ in
                // Opened in clear, then sealed again: the key and the tags column follow.
                let clear = try vault.opened(stored)
                return (vault.sealed(clear), vault.sealedTagsColumn(clear))
            },
            claim: { c in
                guard let fieldClass = RegistrySchema.personalFields[c.kind]?[c.field] else { return c }
                var resealed = c
                resealed.value = vault.sealField(try vault.openField(c.value, name: c.field, class: fieldClass), name: c.field, class: fieldClass)
                return resealed
            })
        for layer in try await store.loadLayers() where layer.subject.registry.map(RegistrySchema.keyIsPersonal) == true && !layer.rule.keys.isEmpty {
            var resealed = layer
            resealed.rule.keys = try layer.rule.keys.map { key in
                vault.seal(try vault.open(key, field: LayerService.sealedKeyField), field: LayerService.sealedKeyField)
            }
            try await store.saveLayer(resealed, audit: AuditRecord(actor: actor, action: "layer.reseal", target: "layer:\(layer.id)"))
        }
        // Reporters' phones on cases (no blind index: found by case number only).
        _ = try await store.rewriteCaseContacts(audit: AuditRecord(actor: actor, action: "keys.rotate.cases", target: "key:\(vault.ring.current)")) { sealed in
            vault.seal(try vault.open(sealed, field: CaseService.contactField), field: CaseService.contactField)
        }
        try await KeyCheck.record(vault, store: store)
        return count
    }
}
