package dev.plank.db;

/** A configured table that the database does not have. */
public final class UnknownTableException extends RuntimeException {
  public UnknownTableException(TableRef table) {
    super(
        "table "
            + table
            + " does not exist (check PLANK_TABLES / --tables; names are case-sensitive"
            + (isDemoTable(table) ? "; --demo creates the demo table public.items" : "")
            + ")");
  }

  private static boolean isDemoTable(TableRef table) {
    return table.schema().equals("public") && table.name().equals("items");
  }
}
