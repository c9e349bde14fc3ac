package dev.plank.db;

/** How values of a column compare, derived from PostgreSQL's type category. */
public enum ColumnType {
  NUMBER,
  BOOLEAN,
  TEXT;

  /** Maps {@code pg_type.typcategory} to the way filters compare the column's values. */
  public static ColumnType ofCategory(String typcategory) {
    return switch (typcategory) {
      case "N" -> NUMBER;
      case "B" -> BOOLEAN;
      default -> TEXT;
    };
  }
}
