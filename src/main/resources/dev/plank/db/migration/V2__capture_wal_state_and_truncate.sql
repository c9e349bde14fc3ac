-- Version 2: WAL capture's applied slot position, and the TRUNCATE entry of trigger mode.
-- Never edit an applied migration: add V3__….sql.

-- PLANK_CAPTURE=wal: how far the leader has applied its slot, written in the same transaction as
-- the log rows. Transactions that committed before commit_lsn are in the log; of the one at
-- commit_lsn, the first changes_done changes are (end_lsn is null while it is applied only partly).
CREATE TABLE IF NOT EXISTS plank.wal_state (
  slot_name    text PRIMARY KEY,
  commit_lsn   pg_lsn NOT NULL,
  changes_done bigint NOT NULL,
  end_lsn      pg_lsn
);

-- TRUNCATE of a captured table (trigger mode): one log entry without rows, which the hub turns into
-- `resync` on that channel. The WAL leader writes the same entry from pgoutput's Truncate message.
CREATE OR REPLACE FUNCTION plank.capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  c plank.changes;
BEGIN
  INSERT INTO plank.changes (xid, snapshot_xmin, ts, schema_name, table_name, op, data, old)
  VALUES (pg_current_xact_id(), pg_snapshot_xmin(pg_current_snapshot()), clock_timestamp(),
          TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE', NULL, NULL)
  RETURNING * INTO c;
  PERFORM pg_notify('plank', plank.change_json(c));
  RETURN NULL;
END
$fn$;
