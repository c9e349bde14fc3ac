package dev.plank.db;

/** A configured table that the database does not have. */
public final class UnknownTableException extends RuntimeException {
  public UnknownTableException(TableRef table) {
    super(
        "table "
            + table
            + " does not exist (check PLANK_TABLES / --tables; names are case-sensitive)");
  }
}
