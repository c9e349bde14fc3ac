package dev.plank.db;

import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import java.io.IOException;

/** Tells failures worth retrying (the database is unreachable) from those that are not. */
public final class DatabaseErrors {
  private DatabaseErrors() {}

  /** Connection problems are worth retrying; a wrong table name or password is not. */
  public static boolean isFatal(Throwable err) {
    if (err instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      return !state.startsWith("08") && !state.startsWith("57P");
    }
    return !(err instanceof IOException)
        && !(err instanceof VertxException)
        && !(err.getCause() instanceof IOException);
  }

  /**
   * The message without Netty's system-call prefix ("finishConnect(..) failed with error(-111): ").
   */
  public static String reason(Throwable err) {
    return String.valueOf(err.getMessage())
        .replaceFirst("^\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
  }
}
