package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replication slot names are server-wide: a slot of Plank's name that belongs to another database
 * on the same server (another app's Plank) is not this node's to drop or to wait for.
 */
class SlotOwnershipTest {

  @Test
  void aTriggerModeNodeLeavesAnotherDatabasesSlotAlone() throws Exception {
    DatabaseUrl other = LogicalPostgres.create(SlotOwnershipTest.class);
    DatabaseUrl mine = LogicalPostgres.create(SlotOwnershipTest.class);
    String slot = "plank_t_" + other.database();
    new TestDb(other)
        .query("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    try (TestPlank node = TestPlank.start(mine, Map.of("PLANK_SLOT", slot))) {
      assertThat(
              new TestDb(other)
                  .query(
                      "SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = '"
                          + slot
                          + "'")
                  .get(0)
                  .get("n"))
          .isEqualTo(1L);
    } finally {
      new TestDb(other).query("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }
}
