import Foundation
import Testing

@Suite("The demo's output under a pipe")
struct DemoOutputTests {
    @Test("citybrain demo prints its accounts before it serves, even when its output is a pipe", .timeLimit(.minutes(3)))
    func accountsAppearBeforeServing() async throws {
        let folder = try temporaryFolder()
        let db = folder.appendingPathComponent("demo.sqlite").path
        #expect(try run(["demo", "--preset", "tiny", "--no-serve", "--database", db]).status == 0)
        let demo = Process()
        demo.executableURL = executable
        demo.arguments = ["demo", "--preset", "tiny", "--database", db, "--port", String(20_000 + Int.random(in: 0..<20_000)), "--log-level", "error"]
        let out = Pipe()
        demo.standardOutput = out
        try demo.run()
        defer { demo.terminate() }
        // Reads what arrives until the last line before serving; a block-buffered output would
        // never arrive while the server runs, and the read would end only with the process.
        var seen = ""
        let handle = out.fileHandleForReading
        while !seen.contains("Ctrl-C stops the server") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(demo.isRunning, "the accounts must be readable while the server runs")
        #expect(seen.contains("Demo accounts") && seen.contains("  admin "))
    }
}
