extension PostgresMigrations {
    static let jobLeases = Migration(name: "0006 job leases", statements: [
        """
        CREATE TABLE job_lease (
          job text PRIMARY KEY,
          holder text NOT NULL,
          expires_at timestamptz NOT NULL
        )
        """,
    ])
}
