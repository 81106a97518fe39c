extension PostgresMigrations {
    /// The closed loop: its dictionaries, the cases with their timelines, the day counters of case
    /// numbers and the KPI read model (SQLite's migrations 0009 and 0010).
    ///
    /// Codes (case numbers, classes, grids, departments) are compared byte by byte (`COLLATE "C"`),
    /// as SQLite compares them: a territory or class prefix is a range (`>= '330110001'` and
    /// `< '330110001:'`) that a B-tree index serves, whatever the database's own collation.
    /// Times are milliseconds since 1970, as the audit trail keeps them: exactly what the domain holds.
    static let cases = Migration(name: "0005 cases", statements: [
        // Administrators' classes and calendar days, beside the seed and the official calendar in the code.
        "CREATE TABLE case_class (code text COLLATE \"C\" PRIMARY KEY, body text NOT NULL)",
        """
        CREATE TABLE calendar_day (
          day text COLLATE "C" PRIMARY KEY,
          kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
          name text NOT NULL
        )
        """,
        """
        CREATE TABLE department (
          code text COLLATE "C" PRIMARY KEY,
          name text NOT NULL,
          territory text COLLATE "C",
          active boolean NOT NULL DEFAULT true
        )
        """,
        """
        CREATE TABLE dispatch_route (
          class_pattern text COLLATE "C" NOT NULL,
          territory text COLLATE "C" NOT NULL,
          department text COLLATE "C" NOT NULL,
          PRIMARY KEY (class_pattern, territory)
        )
        """,
        // The last serial given per number prefix (district and local day). Every instance takes the
        // next one with one upsert on this row, whose row lock orders them.
        "CREATE TABLE case_number (prefix text COLLATE \"C\" PRIMARY KEY, last_serial integer NOT NULL)",
        // The body is the whole case (JSON, as SQLite stores it); the columns beside it are what
        // queries filter, sort and count on. `position` follows longitude and latitude by itself.
        """
        CREATE TABLE case_record (
          id bigserial PRIMARY KEY,
          number text COLLATE "C" NOT NULL UNIQUE,
          status text NOT NULL,
          class_code text COLLATE "C",
          grid_code text COLLATE "C" NOT NULL,
          department text COLLATE "C",
          source text NOT NULL,
          reporter text NOT NULL,
          reported_at bigint NOT NULL,
          running_due_at bigint,
          warn_at bigint,
          -- Supervision's next look at the case (NULL: nothing due).
          next_alert_at bigint,
          -- The handling and closing deadlines, reworks and approved extensions: the KPIs leave out
          -- open cases not yet due.
          handle_due_at bigint,
          close_due_at bigint,
          reworks integer NOT NULL DEFAULT 0,
          extensions integer NOT NULL DEFAULT 0,
          longitude double precision NOT NULL,
          latitude double precision NOT NULL,
          position geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED,
          tracking_hash text UNIQUE,
          -- The reporter's sealed phone: deterministic, so an erasure finds a person's reports.
          contact text,
          idempotency_key text,
          version integer NOT NULL,
          body text NOT NULL
        )
        """,
        // A retried report finds the first one; two at once cannot both be stored.
        "CREATE UNIQUE INDEX case_idempotency ON case_record (reporter, idempotency_key) WHERE idempotency_key IS NOT NULL",
        "CREATE INDEX case_status_due ON case_record (status, running_due_at)",
        "CREATE INDEX case_grid ON case_record (grid_code, id)",
        "CREATE INDEX case_class_reported ON case_record (class_code, reported_at)",
        "CREATE INDEX case_department ON case_record (department, id)",
        "CREATE INDEX case_reporter ON case_record (reporter, id)",
        "CREATE INDEX case_next_alert ON case_record (next_alert_at) WHERE next_alert_at IS NOT NULL",
        "CREATE INDEX case_contact ON case_record (contact) WHERE contact IS NOT NULL",
        "CREATE INDEX case_handle_due ON case_record (handle_due_at) WHERE handle_due_at IS NOT NULL",
        "CREATE INDEX case_close_due ON case_record (close_due_at) WHERE close_due_at IS NOT NULL",
        // The cockpits' class and source mix of a period over a whole territory.
        "CREATE INDEX case_reported ON case_record (reported_at)",
        // Map boxes and duplicate candidates nearby.
        "CREATE INDEX case_position ON case_record USING gist (position)",
        // The rows below are written only by the store, in the transaction of their case: no
        // foreign-key lookup per row (a history import writes millions of events).
        // Which cases show an attachment (who may read it).
        """
        CREATE TABLE case_attachment (
          hash text NOT NULL,
          case_id bigint NOT NULL,
          PRIMARY KEY (hash, case_id)
        )
        """,
        // Assisting departments of joint handling, for "my department's cases".
        """
        CREATE TABLE case_assist (
          department text COLLATE "C" NOT NULL,
          case_id bigint NOT NULL,
          PRIMARY KEY (department, case_id)
        )
        """,
        "CREATE INDEX case_assist_case ON case_assist (case_id)",
        """
        CREATE TABLE case_event (
          case_id bigint NOT NULL,
          sequence integer NOT NULL,
          action text NOT NULL,
          actor text NOT NULL,
          time bigint NOT NULL,
          status text NOT NULL,
          note text,
          attachments text NOT NULL,
          details text NOT NULL,
          PRIMARY KEY (case_id, sequence)
        )
        """,
        // The KPI read model: counters per scope (r:<region>, d:<department>) and local day (days
        // since 1970-01-01, UTC+8), kept up to date in the transaction of each change.
        """
        CREATE TABLE case_kpi_day (
          scope text COLLATE "C" NOT NULL,
          day integer NOT NULL,
          reported bigint NOT NULL DEFAULT 0,
          decided bigint NOT NULL DEFAULT 0,
          decided_on_time bigint NOT NULL DEFAULT 0,
          dispatched bigint NOT NULL DEFAULT 0,
          dispatched_accurate bigint NOT NULL DEFAULT 0,
          handle_due bigint NOT NULL DEFAULT 0,
          handled_on_time bigint NOT NULL DEFAULT 0,
          close_due bigint NOT NULL DEFAULT 0,
          closed bigint NOT NULL DEFAULT 0,
          closed_on_time bigint NOT NULL DEFAULT 0,
          reworked bigint NOT NULL DEFAULT 0,
          extended bigint NOT NULL DEFAULT 0,
          handled bigint NOT NULL DEFAULT 0,
          handling_seconds bigint NOT NULL DEFAULT 0,
          evaluated bigint NOT NULL DEFAULT 0,
          satisfied bigint NOT NULL DEFAULT 0,
          satisfaction_sum bigint NOT NULL DEFAULT 0,
          PRIMARY KEY (scope, day)
        )
        """,
    ])
}

extension PostgresMigrations {
    /// A report was matched to its reporter by user name, so an account named `anonymous` owned
    /// every resident's report. Reports of existing accounts move to their ids; every other report
    /// (residents', devices', history's) belongs to no account.
    static let reportersByAccount = Migration(name: "0007 reports belong to account ids", statements: [
        """
        UPDATE case_record c SET reporter = 'account:' || a.id,
          body = jsonb_set(c.body::jsonb, '{reporterAccount}', to_jsonb(a.id))::text
        FROM account a WHERE a.username = c.reporter AND c.reporter <> 'anonymous'
        """,
        "UPDATE case_record SET reporter = 'public' WHERE reporter NOT LIKE 'account:%'",
    ])
}

extension PostgresMigrations {
    /// Failures count within a window (LockoutRule), so the window's start is kept.
    static let loginFailureWindow = Migration(name: "0008 login failures in a window", statements: [
        "ALTER TABLE account ADD COLUMN failure_window_start bigint",
    ])
}

extension PostgresMigrations {
    /// Signed statements of the trail's head (AuditCheckpoint), appended and never changed; and
    /// TRUNCATE refused on both tables (row triggers do not see it).
    static let auditCheckpoints = Migration(name: "0009 audit checkpoints, no truncation", statements: [
        """
        CREATE TABLE audit_checkpoint (
          sequence bigint PRIMARY KEY,
          hash text NOT NULL,
          time bigint NOT NULL,
          signature text NOT NULL
        )
        """,
        """
        CREATE TRIGGER audit_checkpoint_no_change BEFORE UPDATE OR DELETE ON audit_checkpoint
          FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
        """,
        """
        CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
          FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
        """,
        """
        CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
          FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
        """,
    ])
}
