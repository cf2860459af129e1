import PostgresNIO

/// How far behind its primary a hot standby may be: what a read there can be missing.
public enum StandbyLag {
    /// Seconds by which what `connection` reads may be older than the primary's latest commit: 0 on a primary, and
    /// on a standby that has replayed everything its live stream brought; otherwise the age of the last commit it
    /// replayed (an upper bound), and nil when it has replayed none. Replay paused or no stream (pg_stat_wal_receiver
    /// has a row only while one runs; its other columns are hidden from the application's role) both count as
    /// behind, so a stalled standby's figure grows until reads leave it.
    public static func seconds(on connection: PostgresConnection, logger: Logger) async throws -> Double? {
        try await connection.query("""
            SELECT CASE
                WHEN NOT pg_is_in_recovery() THEN 0
                WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND NOT pg_is_wal_replay_paused()
                     AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
                ELSE greatest(0, EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
            END::float8
            """, logger: logger).collect().first?.decode(Double?.self)
    }
}
