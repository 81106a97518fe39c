import GRDB

/// Numbered migrations. Once released, a migration is never edited: add a new one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("0001 regions, grid workers, import batches, settings") { db in
            try db.execute(sql: """
                CREATE TABLE import_batch (
                  id INTEGER PRIMARY KEY,
                  kind TEXT NOT NULL,
                  source TEXT NOT NULL,
                  actor TEXT NOT NULL,
                  imported_at DATETIME NOT NULL,
                  record_count INTEGER NOT NULL,
                  note TEXT NOT NULL DEFAULT ''
                );
                CREATE TABLE region_version (
                  id INTEGER PRIMARY KEY,
                  code TEXT NOT NULL,
                  level TEXT NOT NULL,
                  name TEXT NOT NULL,
                  parent_code TEXT,
                  valid_from DATETIME NOT NULL,
                  valid_to DATETIME,
                  source_crs TEXT NOT NULL,
                  import_batch INTEGER REFERENCES import_batch(id),
                  min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
                  area_m2 REAL NOT NULL,
                  geometry BLOB NOT NULL,
                  UNIQUE (code, valid_from),
                  CHECK (valid_to IS NULL OR valid_to > valid_from)
                );
                CREATE INDEX region_version_parent ON region_version(parent_code);
                CREATE INDEX region_version_level ON region_version(level);
                CREATE TABLE grid_worker (
                  id INTEGER PRIMARY KEY,
                  code TEXT NOT NULL UNIQUE,
                  name TEXT NOT NULL,
                  phone TEXT
                );
                CREATE TABLE grid_worker_assignment (
                  worker_id INTEGER NOT NULL REFERENCES grid_worker(id) ON DELETE CASCADE,
                  grid_code TEXT NOT NULL,
                  PRIMARY KEY (worker_id, grid_code)
                );
                CREATE INDEX grid_worker_assignment_grid ON grid_worker_assignment(grid_code);
                CREATE TABLE setting (
                  key TEXT PRIMARY KEY,
                  value TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("0002 standard address library") { db in
            try db.execute(sql: """
                CREATE TABLE address (
                  id INTEGER PRIMARY KEY,
                  code TEXT NOT NULL UNIQUE,
                  province TEXT, city TEXT, district TEXT, township TEXT, community TEXT,
                  road TEXT, house_number TEXT, village_group TEXT, compound TEXT,
                  building TEXT, unit TEXT, floor TEXT, room TEXT,
                  longitude REAL NOT NULL,
                  latitude REAL NOT NULL,
                  grid_code TEXT,
                  status TEXT NOT NULL CHECK (status IN ('in-use', 'retired')),
                  import_batch INTEGER REFERENCES import_batch(id),
                  updated_at DATETIME NOT NULL
                );
                CREATE INDEX address_grid ON address(grid_code);
                CREATE TABLE place_alias (
                  id INTEGER PRIMARY KEY,
                  kind TEXT NOT NULL,
                  name TEXT NOT NULL,
                  current_name TEXT NOT NULL,
                  import_batch INTEGER REFERENCES import_batch(id),
                  UNIQUE (kind, name, current_name)
                );
                """)
        }
        m.registerMigration("0003 registries of people, houses, enterprises and places") { db in
            try db.execute(sql: """
                CREATE TABLE registry_entry (
                  id INTEGER PRIMARY KEY,
                  kind TEXT NOT NULL CHECK (kind IN ('person', 'house', 'enterprise', 'place')),
                  key TEXT NOT NULL,
                  address_code TEXT NOT NULL,
                  category TEXT,
                  tags TEXT,
                  fields TEXT NOT NULL,
                  field_sources TEXT NOT NULL,
                  source TEXT NOT NULL,
                  import_batch INTEGER REFERENCES import_batch(id),
                  updated_at DATETIME NOT NULL,
                  needs_review INTEGER NOT NULL DEFAULT 0,
                  UNIQUE (kind, key)
                );
                CREATE INDEX registry_entry_address ON registry_entry(kind, address_code);
                CREATE INDEX registry_entry_category ON registry_entry(kind, category);
                CREATE INDEX registry_entry_review ON registry_entry(kind, needs_review) WHERE needs_review = 1;
                CREATE TABLE field_conflict (
                  id INTEGER PRIMARY KEY,
                  kind TEXT NOT NULL,
                  key TEXT NOT NULL,
                  field TEXT NOT NULL,
                  value TEXT NOT NULL,
                  source TEXT NOT NULL,
                  import_batch INTEGER REFERENCES import_batch(id),
                  observed_at DATETIME NOT NULL,
                  UNIQUE (kind, key, field, value, source)
                );
                CREATE INDEX field_conflict_record ON field_conflict(kind, key);
                """)
        }
        m.registerMigration("0004 administrator-defined layers") { db in
            try db.execute(sql: """
                CREATE TABLE layer (
                  id TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  english_name TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  rule TEXT NOT NULL,
                  created_at DATETIME NOT NULL
                );
                """)
        }
        // A district import writes millions of registry rows. SQLite evaluated the CHECK with an IN
        // list by building a temporary index for every row (it cost more than the insert itself)
        // and looked up the batch of every row for the foreign key: the kind is now checked by
        // comparisons, and the batch — written by the store in the same transaction — is not
        // declared as a foreign key. The key constraint becomes a named unique index, which a
        // first load can drop and build once at the end.
        m.registerMigration("0005 registry rows checked cheaply, key index that a bulk load can rebuild") { db in
            try db.execute(sql: """
                CREATE TABLE registry_entry_new (
                  id INTEGER PRIMARY KEY,
                  kind TEXT NOT NULL CHECK (kind = 'person' OR kind = 'house' OR kind = 'enterprise' OR kind = 'place'),
                  key TEXT NOT NULL,
                  address_code TEXT NOT NULL,
                  category TEXT,
                  tags TEXT,
                  fields TEXT NOT NULL,
                  field_sources TEXT NOT NULL,
                  source TEXT NOT NULL,
                  import_batch INTEGER,
                  updated_at DATETIME NOT NULL,
                  needs_review INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO registry_entry_new SELECT id, kind, key, address_code, category, tags, fields, field_sources, source,
                  import_batch, updated_at, needs_review FROM registry_entry;
                DROP TABLE registry_entry;
                ALTER TABLE registry_entry_new RENAME TO registry_entry;
                CREATE UNIQUE INDEX registry_entry_key ON registry_entry(kind, key);
                CREATE INDEX registry_entry_address ON registry_entry(kind, address_code);
                CREATE INDEX registry_entry_category ON registry_entry(kind, category);
                CREATE INDEX registry_entry_review ON registry_entry(kind, needs_review) WHERE needs_review = 1;
                """)
        }
        // The audit trail refuses changes and removals through SQL; the hash chain shows any made
        // around it (`citybrain audit verify`).
        m.registerMigration("0006 audit trail") { db in
            try db.execute(sql: """
                CREATE TABLE audit_entry (
                  sequence INTEGER PRIMARY KEY,
                  -- milliseconds since 1970, exactly what the hash counts
                  time INTEGER NOT NULL,
                  actor TEXT NOT NULL,
                  action TEXT NOT NULL,
                  target TEXT NOT NULL,
                  purpose TEXT,
                  request_id TEXT,
                  previous_hash TEXT NOT NULL,
                  hash TEXT NOT NULL
                );
                CREATE INDEX audit_entry_actor ON audit_entry(actor, time);
                CREATE INDEX audit_entry_target ON audit_entry(target, time);
                CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
                  BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be changed'); END;
                CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
                  BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be changed'); END;
                """)
        }
        m.registerMigration("0007 accounts, roles, sessions, API tokens") { db in
            // Times as milliseconds since 1970; secrets only as SHA-256 (sessions, tokens) or bcrypt (passwords).
            try db.execute(sql: """
                CREATE TABLE account (
                  id INTEGER PRIMARY KEY,
                  username TEXT NOT NULL,
                  display_name TEXT NOT NULL,
                  roles TEXT NOT NULL,
                  territory TEXT NOT NULL,
                  department TEXT,
                  password_hash TEXT NOT NULL,
                  status TEXT NOT NULL CHECK (status = 'active' OR status = 'disabled'),
                  failed_logins INTEGER NOT NULL DEFAULT 0,
                  locked_until INTEGER,
                  password_changed_at INTEGER NOT NULL,
                  created_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX account_username ON account(username COLLATE NOCASE);
                CREATE TABLE role (
                  id TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  permissions TEXT NOT NULL,
                  needs_department INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE session (
                  token_hash TEXT PRIMARY KEY,
                  account_id INTEGER NOT NULL REFERENCES account(id),
                  csrf_token TEXT NOT NULL,
                  created_at INTEGER NOT NULL,
                  expires_at INTEGER NOT NULL,
                  last_seen_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX session_account ON session(account_id);
                CREATE TABLE api_token (
                  id INTEGER PRIMARY KEY,
                  account_id INTEGER NOT NULL REFERENCES account(id),
                  name TEXT NOT NULL,
                  prefix TEXT NOT NULL,
                  token_hash TEXT NOT NULL UNIQUE,
                  permissions TEXT NOT NULL,
                  created_at INTEGER NOT NULL,
                  expires_at INTEGER NOT NULL,
                  revoked_at INTEGER,
                  created_by TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("0008 houses by owner") { db in
            // Erasing a person finds the houses he owns by his sealed ID number without a scan.
            try db.execute(sql: """
                CREATE INDEX registry_house_owner ON registry_entry(json_extract(fields, '$.owner_id_number')) WHERE kind = 'house'
                """)
        }
        m.registerMigration("0009 cases") { db in
            // The loop's own dictionaries: administrators' classes and calendar days are stored
            // beside the seed and the official calendar, which live in the code.
            try db.execute(sql: """
                CREATE TABLE case_class (
                  code TEXT PRIMARY KEY,
                  body TEXT NOT NULL
                );
                CREATE TABLE calendar_day (
                  day TEXT PRIMARY KEY,
                  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
                  name TEXT NOT NULL
                );
                CREATE TABLE department (
                  code TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  territory TEXT,
                  active INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE dispatch_route (
                  class_pattern TEXT NOT NULL,
                  territory TEXT NOT NULL,
                  department TEXT NOT NULL,
                  PRIMARY KEY (class_pattern, territory)
                ) WITHOUT ROWID;
                CREATE TABLE case_number (
                  prefix TEXT PRIMARY KEY,
                  last_serial INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE case_record (
                  id INTEGER PRIMARY KEY,
                  number TEXT NOT NULL UNIQUE,
                  status TEXT NOT NULL,
                  class_code TEXT,
                  grid_code TEXT NOT NULL,
                  department TEXT,
                  source TEXT NOT NULL,
                  reporter TEXT NOT NULL,
                  reported_at INTEGER NOT NULL,
                  running_due_at INTEGER,
                  warn_at INTEGER,
                  -- Supervision's next look at the case (NULL: nothing due).
                  next_alert_at INTEGER,
                  -- The handling and closing deadlines: the KPIs leave out open cases not yet due.
                  handle_due_at INTEGER,
                  close_due_at INTEGER,
                  longitude REAL NOT NULL,
                  latitude REAL NOT NULL,
                  tracking_hash TEXT UNIQUE,
                  -- The reporter's sealed phone: deterministic, so an erasure finds a person's reports.
                  contact TEXT,
                  idempotency_key TEXT,
                  version INTEGER NOT NULL,
                  body TEXT NOT NULL
                );
                CREATE UNIQUE INDEX case_idempotency ON case_record(reporter, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX case_status_due ON case_record(status, running_due_at);
                CREATE INDEX case_grid ON case_record(grid_code, id);
                CREATE INDEX case_class_reported ON case_record(class_code, reported_at);
                CREATE INDEX case_department ON case_record(department, id);
                CREATE INDEX case_reporter ON case_record(reporter, id);
                CREATE INDEX case_next_alert ON case_record(next_alert_at) WHERE next_alert_at IS NOT NULL;
                CREATE INDEX case_contact ON case_record(contact) WHERE contact IS NOT NULL;
                CREATE INDEX case_handle_due ON case_record(handle_due_at) WHERE handle_due_at IS NOT NULL;
                CREATE INDEX case_close_due ON case_record(close_due_at) WHERE close_due_at IS NOT NULL;
                -- Which cases show an attachment (who may read it).
                CREATE TABLE case_attachment (
                  hash TEXT NOT NULL,
                  case_id INTEGER NOT NULL REFERENCES case_record(id),
                  PRIMARY KEY (hash, case_id)
                ) WITHOUT ROWID;
                -- The KPI read model: counters per scope (r:<region>, d:<department>) and local day
                -- (days since 1970-01-01, UTC+8), kept up to date in the transaction of each change.
                CREATE TABLE case_kpi_day (
                  scope TEXT NOT NULL,
                  day INTEGER NOT NULL,
                  reported INTEGER NOT NULL DEFAULT 0,
                  decided INTEGER NOT NULL DEFAULT 0,
                  decided_on_time INTEGER NOT NULL DEFAULT 0,
                  dispatched INTEGER NOT NULL DEFAULT 0,
                  dispatched_accurate INTEGER NOT NULL DEFAULT 0,
                  handle_due INTEGER NOT NULL DEFAULT 0,
                  handled_on_time INTEGER NOT NULL DEFAULT 0,
                  close_due INTEGER NOT NULL DEFAULT 0,
                  closed INTEGER NOT NULL DEFAULT 0,
                  closed_on_time INTEGER NOT NULL DEFAULT 0,
                  reworked INTEGER NOT NULL DEFAULT 0,
                  extended INTEGER NOT NULL DEFAULT 0,
                  handled INTEGER NOT NULL DEFAULT 0,
                  handling_seconds INTEGER NOT NULL DEFAULT 0,
                  evaluated INTEGER NOT NULL DEFAULT 0,
                  satisfied INTEGER NOT NULL DEFAULT 0,
                  satisfaction_sum INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY (scope, day)
                ) WITHOUT ROWID;
                -- Assisting departments of joint handling, for "my department's cases".
                CREATE TABLE case_assist (
                  department TEXT NOT NULL,
                  case_id INTEGER NOT NULL REFERENCES case_record(id),
                  PRIMARY KEY (department, case_id)
                ) WITHOUT ROWID;
                CREATE TABLE case_event (
                  case_id INTEGER NOT NULL REFERENCES case_record(id),
                  sequence INTEGER NOT NULL,
                  action TEXT NOT NULL,
                  actor TEXT NOT NULL,
                  time INTEGER NOT NULL,
                  status TEXT NOT NULL,
                  note TEXT,
                  attachments TEXT NOT NULL,
                  details TEXT NOT NULL,
                  PRIMARY KEY (case_id, sequence)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("0010 cases by report time") { db in
            // The cockpits' class and source mix of a period over a whole territory.
            try db.execute(sql: "CREATE INDEX case_reported ON case_record(reported_at)")
        }
        m.registerMigration("0011 job leases") { db in
            try db.execute(sql: """
                CREATE TABLE job_lease (
                  job TEXT PRIMARY KEY,
                  holder TEXT NOT NULL,
                  expires_at INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        m.registerMigration("0012 reports belong to account ids") { db in
            // A report was matched to its reporter by user name, so an account named `anonymous`
            // owned every resident's report. Reports of existing accounts move to their ids; every
            // other report (residents', devices', history's) belongs to no account.
            try db.execute(sql: """
                UPDATE case_record SET
                  body = json_set(body, '$.reporterAccount', (SELECT id FROM account WHERE account.username = case_record.reporter)),
                  reporter = 'account:' || (SELECT id FROM account WHERE account.username = case_record.reporter)
                WHERE reporter <> 'anonymous' AND reporter IN (SELECT username FROM account);
                UPDATE case_record SET reporter = 'public' WHERE reporter NOT LIKE 'account:%';
                """)
        }
        m.registerMigration("0013 login failures in a window") { db in
            // Failures count within a window (LockoutRule), so the window's start is kept.
            try db.execute(sql: "ALTER TABLE account ADD COLUMN failure_window_start INTEGER")
        }
        m.registerMigration("0014 audit checkpoints") { db in
            // Signed statements of the trail's head (AuditCheckpoint): appended, never changed.
            try db.execute(sql: """
                CREATE TABLE audit_checkpoint (
                  sequence INTEGER PRIMARY KEY,
                  hash TEXT NOT NULL,
                  time INTEGER NOT NULL,
                  signature TEXT NOT NULL
                );
                CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
                  BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be changed'); END;
                CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
                  BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be changed'); END;
                """)
        }
        return m
    }
}
