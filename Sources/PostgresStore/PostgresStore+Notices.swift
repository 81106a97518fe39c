import Foundation
import Governance
import Logging
import PostgresNIO

extension PostgresStore {
    /// The NOTIFY channel of this store's case notices: one per schema, so that districts sharing a
    /// database do not hear each other.
    var caseNoticeChannel: String { "citybrain_cases_" + (schema ?? "public") }

    private struct RelayedNotice: Codable {
        var origin: String
        var notice: CaseNotice
    }

    /// Relays case notices between the instances on this database until the task is cancelled: this
    /// process's own notices go out by NOTIFY, the other instances' come in by LISTEN and are
    /// published to `hub` as relayed (never sent on again). A dropped listening connection is opened
    /// again after a second; what was sent meanwhile is missed by this instance's live views, which
    /// rebuild from the database within 30 s anyway. `listening` is called each time LISTEN is in place.
    public func relayCaseNotices(through hub: CaseNoticeHub, instance: String, listening: (@Sendable () -> Void)? = nil) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.receiveNotices(into: hub, instance: instance, listening: listening) }
            group.addTask { await self.sendNotices(from: hub, instance: instance) }
        }
    }

    private func sendNotices(from hub: CaseNoticeHub, instance: String) async {
        let subscription = hub.subscribe(localOnly: true, bufferSize: 10_000)
        defer { hub.end(subscription.id) }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let channel = caseNoticeChannel
        for await notice in subscription.notices {
            do {
                let payload = String(decoding: try encoder.encode(RelayedNotice(origin: instance, notice: notice)), as: UTF8.self)
                _ = try await client.query("SELECT pg_notify(\(channel), \(payload))", logger: logger).collect()
            } catch {
                logger.error("a case notice could not be sent to the other instances", metadata: ["case": "\(notice.number)", "error": "\(error)"])
            }
        }
    }

    private func receiveNotices(into hub: CaseNoticeHub, instance: String, listening: (@Sendable () -> Void)?) async {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        let channel = caseNoticeChannel
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        listening?()
                        for try await notification in notifications {
                            guard let relayed = try? decoder.decode(RelayedNotice.self, from: Data(notification.payload.utf8)) else {
                                self.logger.warning("an unreadable case notice on \(channel) was ignored")
                                continue
                            }
                            if relayed.origin != instance { hub.publish(relayed.notice, relayed: true) }
                        }
                    }
                }
            } catch {
                guard !Task.isCancelled else { return }
                logger.error("listening for other instances' case notices failed; trying again in a second", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
