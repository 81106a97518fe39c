extension PostgresMigrations {
    /// The registries of people, houses, enterprises and places with the claims of disagreeing
    /// sources, and the administrators' layers (SQLite's migrations 0003, 0004, 0005 and 0008).
    ///
    /// Keys, address codes and categories are compared byte by byte (`COLLATE "C"`), as SQLite
    /// compares them: lists come out in the same order whatever the database's own collation, and
    /// the B-trees of a district's millions of keys compare with `memcmp`. Times are `timestamptz`
    /// where SQLite declares DATETIME (as the import batches and addresses here). The fields and
    /// field sources are JSON text exactly as written (a round trip, or a move from SQLite, gives
    /// back the same bytes, which `jsonb` would not); the few values read in SQL — a house's owner,
    /// a person's household — are taken out with `fields::json ->> …`. The batch is not a foreign
    /// key: the store writes it in the same transaction as the rows, and a district's import would
    /// pay a lookup per row.
    static let registriesAndLayers = Migration(name: "0004 registries and layers", statements: [
        """
        CREATE TABLE registry_entry (
          id bigserial PRIMARY KEY,
          kind text COLLATE "C" NOT NULL CHECK (kind IN ('person', 'house', 'enterprise', 'place')),
          key text COLLATE "C" NOT NULL,
          address_code text COLLATE "C" NOT NULL,
          category text COLLATE "C",
          -- The tags as stored (blind indexes of personal tags), joined by 、.
          tags text,
          fields text NOT NULL,
          field_sources text NOT NULL,
          source text NOT NULL,
          import_batch bigint,
          updated_at timestamptz NOT NULL,
          needs_review boolean NOT NULL DEFAULT false
        )
        """,
        "CREATE UNIQUE INDEX registry_entry_key ON registry_entry (kind, key)",
        "CREATE INDEX registry_entry_address ON registry_entry (kind, address_code)",
        // Layers by category; retention finds the oldest records of a category first.
        "CREATE INDEX registry_entry_category ON registry_entry (kind, category, updated_at)",
        "CREATE INDEX registry_entry_review ON registry_entry (kind, key) WHERE needs_review",
        // Erasing a person finds the houses he owns by his sealed ID number without a scan.
        "CREATE INDEX registry_house_owner ON registry_entry ((fields::json ->> 'owner_id_number')) WHERE kind = 'house'",
        // Both values of a field two sources disagree on, filed under the record's key. The unique
        // index also serves the reads of a record's claims (its leading columns).
        """
        CREATE TABLE field_conflict (
          id bigserial PRIMARY KEY,
          kind text COLLATE "C" NOT NULL,
          key text COLLATE "C" NOT NULL,
          field text NOT NULL,
          value text NOT NULL,
          source text NOT NULL,
          import_batch bigint,
          observed_at timestamptz NOT NULL,
          UNIQUE (kind, key, field, value, source)
        )
        """,
        """
        CREATE TABLE layer (
          id text COLLATE "C" PRIMARY KEY,
          name text NOT NULL,
          english_name text NOT NULL,
          subject text NOT NULL,
          -- The rule as JSON, exactly as the domain encodes it.
          rule text NOT NULL,
          created_at timestamptz NOT NULL
        )
        """,
    ])
}
