import Foundation
import Logging
import NIOCore
import PostgresNIO

/// PostgreSQL's COPY text format: tab-separated, `\N` for null, backslash escapes.
enum CopyText {
    static func append(_ fields: [String?], to buffer: inout ByteBuffer) {
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            guard let field else { buffer.writeString("\\N"); continue }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeString("\\t")
                case UInt8(ascii: "\n"): buffer.writeString("\\n")
                case UInt8(ascii: "\r"): buffer.writeString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }
}

extension PostgresStore {
    /// One COPY of the buffers (those with data).
    static func copy(_ buffers: [ByteBuffer], into table: String, columns: [String], on connection: PostgresConnection, logger: Logger) async throws {
        let data = buffers.filter { $0.readableBytes > 0 }
        guard !data.isEmpty else { return }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            for buffer in data { try await writer.write(buffer) }
        }
    }

    /// Rows by COPY (text format) into a table: encoded first, so that a row that cannot be stored
    /// fails before any is sent, then streamed a megabyte at a time.
    static func copyRows<Rows: Sequence>(into table: String, columns: [String], _ rows: Rows, on connection: PostgresConnection, logger: Logger,
                                         fields: (Rows.Element) throws -> [String?]) async throws {
        var buffers: [ByteBuffer] = []
        var buffer = ByteBuffer()
        for row in rows {
            CopyText.append(try fields(row), to: &buffer)
            if buffer.readableBytes >= 1 << 20 {
                buffers.append(buffer)
                buffer = ByteBuffer()
            }
        }
        buffers.append(buffer)
        try await copy(buffers, into: table, columns: columns, on: connection, logger: logger)
    }

    /// Runs blocking work on a thread of its own, off Swift's cooperative pool (which has a thread
    /// per core and must not wait on a condition).
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
