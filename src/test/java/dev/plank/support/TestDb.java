package dev.plank.support;

import dev.plank.config.DatabaseUrl;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plain SQL against a test database over JDBC: the "any other SQL client" of the tests. */
public final class TestDb {
  private final DatabaseUrl url;

  public TestDb(DatabaseUrl url) {
    this.url = url;
  }

  public DatabaseUrl url() {
    return url;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + url.host() + ":" + url.port() + "/" + url.database();
  }

  /** A new autocommit connection; the caller closes it. */
  public Connection connection() {
    try {
      return TestDatabases.connect(url);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public int execute(String sql, Object... params) {
    try (Connection conn = connection();
        PreparedStatement stmt = prepare(conn, sql, params)) {
      stmt.execute();
      return stmt.getUpdateCount();
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  public List<Map<String, Object>> query(String sql, Object... params) {
    try (Connection conn = connection();
        PreparedStatement stmt = prepare(conn, sql, params);
        ResultSet rs = stmt.executeQuery()) {
      ResultSetMetaData meta = rs.getMetaData();
      List<Map<String, Object>> rows = new ArrayList<>();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++)
          row.put(meta.getColumnLabel(i), rs.getObject(i));
        rows.add(row);
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  public long count(String sql, Object... params) {
    return ((Number) query(sql, params).get(0).values().iterator().next()).longValue();
  }

  private static PreparedStatement prepare(Connection conn, String sql, Object... params)
      throws SQLException {
    PreparedStatement stmt = conn.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) stmt.setObject(i + 1, params[i]);
    return stmt;
  }
}
