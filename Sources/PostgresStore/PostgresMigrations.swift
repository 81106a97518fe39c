/// Numbered migrations, one statement per entry (the extended protocol runs one at a time). Once
/// released, a migration is never edited: add a new one.
enum PostgresMigrations {
    struct Migration: Sendable {
        var name: String
        var statements: [String]
    }

    static let all: [Migration] = [
        Migration(name: "0001 territory, settings, audit trail", statements: [
            // Created by the database's owner; a no-op when an administrator installed it already.
            "CREATE EXTENSION IF NOT EXISTS postgis",
            """
            CREATE TABLE import_batch (
              id bigserial PRIMARY KEY,
              kind text NOT NULL,
              source text NOT NULL,
              actor text NOT NULL,
              imported_at timestamptz NOT NULL,
              record_count integer NOT NULL,
              note text NOT NULL DEFAULT ''
            )
            """,
            "CREATE INDEX import_batch_kind ON import_batch (kind, id)",
            // The exact boundary (WKB, as imported and as the in-memory index uses it) and the same
            // shape as a PostGIS geometry for spatial SQL (ST_Contains, ST_DWithin) with a GiST index.
            """
            CREATE TABLE region_version (
              id bigserial PRIMARY KEY,
              code text NOT NULL,
              level text NOT NULL,
              name text NOT NULL,
              parent_code text,
              valid_from timestamptz NOT NULL,
              valid_to timestamptz,
              source_crs text NOT NULL,
              import_batch bigint REFERENCES import_batch (id),
              area_m2 double precision NOT NULL,
              geometry bytea NOT NULL,
              shape geometry(MultiPolygon, 4326) NOT NULL,
              UNIQUE (code, valid_from),
              CHECK (valid_to IS NULL OR valid_to > valid_from)
            )
            """,
            "CREATE INDEX region_version_parent ON region_version (parent_code)",
            "CREATE INDEX region_version_level ON region_version (level)",
            "CREATE INDEX region_version_shape ON region_version USING gist (shape)",
            """
            CREATE TABLE grid_worker (
              id bigserial PRIMARY KEY,
              code text NOT NULL UNIQUE,
              name text NOT NULL,
              phone text
            )
            """,
            """
            CREATE TABLE grid_worker_assignment (
              worker_id bigint NOT NULL REFERENCES grid_worker (id) ON DELETE CASCADE,
              grid_code text NOT NULL,
              PRIMARY KEY (worker_id, grid_code)
            )
            """,
            "CREATE INDEX grid_worker_assignment_grid ON grid_worker_assignment (grid_code)",
            "CREATE TABLE setting (key text PRIMARY KEY, value text NOT NULL)",
            """
            CREATE TABLE audit_entry (
              sequence bigint PRIMARY KEY,
              time bigint NOT NULL,
              actor text NOT NULL,
              action text NOT NULL,
              target text NOT NULL,
              purpose text,
              request_id text,
              previous_hash text NOT NULL,
              hash text NOT NULL
            )
            """,
            "CREATE INDEX audit_entry_actor ON audit_entry (actor, time)",
            "CREATE INDEX audit_entry_target ON audit_entry (target, time)",
            "CREATE INDEX audit_entry_action ON audit_entry (action text_pattern_ops, sequence)",
            // The trail is appended to, never changed: not even by this program.
            """
            CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the audit trail cannot be changed'; END $$
            """,
            """
            CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry
              FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
            """,
        ]),
        Migration(name: "0002 standard address library", statements: [
            // The position also as a PostGIS point (GiST) for radius and polygon queries in SQL.
            """
            CREATE TABLE address (
              id bigserial PRIMARY KEY,
              code text NOT NULL UNIQUE,
              province text, city text, district text, township text, community text,
              road text, house_number text, village_group text, compound text,
              building text, unit text, floor text, room text,
              longitude double precision NOT NULL,
              latitude double precision NOT NULL,
              position geometry(Point, 4326) NOT NULL,
              grid_code text,
              status text NOT NULL CHECK (status IN ('in-use', 'retired')),
              import_batch bigint REFERENCES import_batch (id),
              updated_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX address_grid ON address (grid_code)",
            "CREATE INDEX address_position ON address USING gist (position)",
            """
            CREATE TABLE place_alias (
              id bigserial PRIMARY KEY,
              kind text NOT NULL,
              name text NOT NULL,
              current_name text NOT NULL,
              import_batch bigint REFERENCES import_batch (id),
              UNIQUE (kind, name, current_name)
            )
            """,
        ]),
        Migration(name: "0003 accounts, roles, sessions, API tokens", statements: [
            // Sessions live here, not in an instance's memory: a browser may reach any instance.
            """
            CREATE TABLE account (
              id bigserial PRIMARY KEY,
              username text NOT NULL,
              display_name text NOT NULL,
              roles text NOT NULL,
              territory text NOT NULL,
              department text,
              password_hash text NOT NULL,
              status text NOT NULL CHECK (status IN ('active', 'disabled')),
              failed_logins integer NOT NULL DEFAULT 0,
              locked_until bigint,
              password_changed_at bigint NOT NULL,
              created_at bigint NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX account_username ON account (lower(username))",
            "CREATE TABLE role (id text PRIMARY KEY, name text NOT NULL, permissions text NOT NULL, needs_department boolean NOT NULL DEFAULT false)",
            """
            CREATE TABLE session (
              token_hash text PRIMARY KEY,
              account_id bigint NOT NULL REFERENCES account (id),
              csrf_token text NOT NULL,
              created_at bigint NOT NULL,
              expires_at bigint NOT NULL,
              last_seen_at bigint NOT NULL
            )
            """,
            "CREATE INDEX session_account ON session (account_id)",
            "CREATE INDEX session_expires ON session (expires_at)",
            """
            CREATE TABLE api_token (
              id bigserial PRIMARY KEY,
              account_id bigint NOT NULL REFERENCES account (id),
              name text NOT NULL,
              prefix text NOT NULL,
              token_hash text NOT NULL UNIQUE,
              permissions text NOT NULL,
              created_at bigint NOT NULL,
              expires_at bigint NOT NULL,
              revoked_at bigint,
              created_by text NOT NULL
            )
            """,
        ]),
        registriesAndLayers,
        cases,
        jobLeases,
        reportersByAccount,
        loginFailureWindow,
        auditCheckpoints,
    ]
}
