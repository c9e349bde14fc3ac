package dev.plank.capture.wal;

import java.time.Instant;

/**
 * One decoded change, waiting to be appended to the log: its rows as JSON objects of the column
 * values in PostgreSQL's text form (json and jsonb values embedded as JSON), which the database
 * turns into exactly what {@code to_jsonb(row)} gives.
 */
record WalChange(PgOutput.Relation relation, String op, Instant ts, String data, String old) {}
