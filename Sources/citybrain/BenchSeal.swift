import ArgumentParser
import Crypto
import Foundation
import Governance

/// Sealing people's personal fields, the cost encryption at rest adds to every import.
struct BenchSeal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Encrypting and blind-indexing people's personal fields on one core, against encoding the same records in clear.")

    @Option(help: "People to seal.") var people = 200_000

    func run() throws {
        let vault = PersonalDataVault(.generate())
        let entries = (0..<people).map { i -> RegistryEntry in
            let body = "330110" + String(1940 + i % 60) + String(format: "%02d%02d", 1 + i % 12, 1 + i % 28) + String(format: "%03d", i % 1000)
            let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
            let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
            let id = body + String(Array("10X98765432")[sum % 11])
            return RegistryEntry(kind: .person, key: id, addressCode: "33011000100100000001", gridCode: nil,
                                 fields: ["id_number": id, "name": "张\(i % 1000)", "phone": "138\(String(format: "%08d", i))", "household": "H\(i / 3)",
                                          "residence_type": "registered", "tags": i % 7 == 0 ? "独居老人" : ""].filter { !$0.value.isEmpty },
                                 fieldSources: [:], source: "公安", importBatch: nil, updatedAt: Date())
        }
        var bytes = 0
        let clear = measure { for e in entries { bytes &+= RegistryRow(line: 0, entry: e).storedFields.utf8.count } }
        var sealedBytes = 0
        let sealed = measure { for e in entries { sealedBytes &+= RegistryRow(line: 0, sealing: e, with: vault).storedFields.utf8.count } }
        // The primitives, once per person.
        let key = SymmetricKey(size: .bits256)
        let mac = HMAC<SHA256>(key: key)
        var sink = 0
        let hmacs = measure {
            for e in entries {
                var h = mac
                h.update(data: Array(e.key.utf8))
                sink &+= Int(h.finalize().first { _ in true } ?? 0)
            }
        }
        let nonce = AES.GCM.Nonce()
        let gcm = measure { for e in entries { sink &+= (try! AES.GCM.seal(Array(e.key.utf8), using: key, nonce: nonce)).ciphertext.count } }
        let n = Double(people)
        print("sealing \(people) people (ID number, name, phone, tags; blind index of the ID number and tags), one core:")
        print("  sealed for storage       \(formatRate(n / sealed)) people  (\(String(format: "%.1f", sealed / n * 1e6)) µs each; stored fields \(sealedBytes / people) bytes)")
        print("  baseline: in clear       \(formatRate(n / clear)) people  (\(String(format: "%.1f", clear / n * 1e6)) µs each; stored fields \(bytes / people) bytes)")
        print("  ratio                    sealing costs \(String(format: "%.1f", clear > 0 ? sealed / clear : 0))× encoding in clear")
        print("  of which, per call: one HMAC-SHA-256 \(String(format: "%.2f", hmacs / n * 1e6)) µs, one AES-256-GCM seal \(String(format: "%.2f", gcm / n * 1e6)) µs  (\(sink % 2))")
    }
}
