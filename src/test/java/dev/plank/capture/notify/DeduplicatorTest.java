package dev.plank.capture.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.capture.Change;
import dev.plank.capture.PgSnapshot;
import dev.plank.capture.Position;
import dev.plank.db.TableRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rules that keep the trigger source from publishing a change twice, or not at all, when the
 * same change comes as a live notification and in a read of the log. No database: the snapshots and
 * changes are written out as PostgreSQL would produce them.
 */
class DeduplicatorTest {
  private Deduplicator dedup;

  @BeforeEach
  void startAfterTheFirstListen() {
    dedup = new Deduplicator();
    assertThat(dedup.hasStarted()).isFalse();
    // The starting snapshot: transactions below 100 and 101 committed, 102 still running.
    dedup.start(PgSnapshot.parse("100:103:102"), Position.untagged(10, 100));
    assertThat(dedup.hasStarted()).isTrue();
  }

  @Test
  void changesTheStartingSnapshotSawAreNotOursToSend() {
    assertThat(dedup.admitLive(change(9, 99, 95))).isFalse();
    assertThat(dedup.admitLive(change(10, 101, 99))).isFalse();
    // Running when the snapshot was taken, or begun after it: committed after the LISTEN.
    assertThat(dedup.admitLive(change(8, 102, 97))).isTrue();
    assertThat(dedup.admitLive(change(11, 103, 100))).isTrue();
  }

  @Test
  void theFrontierIsTheHighestSeqPublished() {
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(10, 100));
    dedup.admitLive(change(12, 110, 104));
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(12, 104));
    // A transaction that started earlier and commits later has a smaller seq: the frontier stays.
    dedup.admitLive(change(11, 105, 103));
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(12, 104));
    dedup.admitLive(change(13, 111, 105));
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(13, 105));
    // A change that is not published does not move it.
    dedup.admitLive(change(20, 99, 99));
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(13, 105));
  }

  @Test
  void aReplayAfterAnOutageSendsTheRestOfAPartlyPublishedTransaction() {
    // Transaction 200 wrote seqs 11, 12 and 13; the connection dropped after two notifications.
    assertThat(dedup.admitLive(change(11, 200, 150))).isTrue();
    assertThat(dedup.admitLive(change(12, 200, 150))).isTrue();
    // The catch-up reads everything after the frontier (seq > 12 or xid >= 150), in seq order.
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(12, 150));
    assertThat(dedup.admitReplayed(change(11, 200, 150))).isFalse();
    assertThat(dedup.admitReplayed(change(12, 200, 150))).isFalse();
    assertThat(dedup.admitReplayed(change(13, 200, 150))).isTrue();
    // Another transaction that committed during the outage is sent whole.
    assertThat(dedup.admitReplayed(change(14, 201, 150))).isTrue();
    assertThat(dedup.admitReplayed(change(15, 201, 150))).isTrue();
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(15, 150));
  }

  @Test
  void aTransactionWithASmallerSeqPublishedBeforeTheOutageIsNotSentAgain() {
    // 300 commits first with seq 21; 299 began earlier (seq 20, 22) and commits after it.
    dedup.admitLive(change(21, 300, 299));
    dedup.admitLive(change(20, 299, 290));
    dedup.admitLive(change(22, 299, 290));
    assertThat(dedup.admitReplayed(change(20, 299, 290))).isFalse();
    assertThat(dedup.admitReplayed(change(21, 300, 299))).isFalse();
    assertThat(dedup.admitReplayed(change(22, 299, 290))).isFalse();
  }

  @Test
  void aLiveChangeTheCatchUpReadAlreadyCoveredIsDropped() {
    dedup.admitLive(change(11, 200, 150));
    // The outage: transactions 201 and 202 commit; 203 is still running when the catch-up reads.
    assertThat(dedup.admitReplayed(change(12, 201, 150))).isTrue();
    assertThat(dedup.admitReplayed(change(13, 202, 150))).isTrue();
    dedup.caughtUp(PgSnapshot.parse("203:204:203"));
    // The new connection's notifications of 201 and 202 came after its LISTEN: duplicates.
    assertThat(dedup.admitLive(change(12, 201, 150))).isFalse();
    assertThat(dedup.admitLive(change(13, 202, 150))).isFalse();
    // 203 committed after the read: the read did not have it, the live stream does.
    assertThat(dedup.admitLive(change(14, 203, 200))).isTrue();
    assertThat(dedup.admitLive(change(15, 204, 203))).isTrue();
  }

  @Test
  void aReplayDropsWhatTheLastReadCovered() {
    dedup.caughtUp(PgSnapshot.parse("300:300:"));
    assertThat(dedup.admitReplayed(change(30, 299, 250))).isFalse();
    assertThat(dedup.admitReplayed(change(31, 300, 299))).isTrue();
  }

  @Test
  void afterPrunedChangesCaptureGoesOnFromTheReadsPosition() {
    dedup.skipTo(Position.untagged(500, 400));
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(500, 400));
    dedup.admitReplayed(change(499, 450, 400));
    assertThat(dedup.frontier()).isEqualTo(Position.untagged(500, 400));
  }

  @Test
  void publishedTransactionsInTheReplayWindowAreRememberedAcrossManyOthers() {
    // A long transaction keeps every snapshot's xmin at 1000, so the frontier's xmin stays there.
    dedup.admitLive(change(11, 1000, 999));
    for (int i = 1; i <= 5000; i++) dedup.admitLive(change(11 + i, 1000 + i, 1000));
    assertThat(dedup.admitReplayed(change(11, 1000, 999))).isFalse();
    assertThat(dedup.admitReplayed(change(2511, 3500, 1000))).isFalse();
    assertThat(dedup.admitReplayed(change(5011, 6000, 1000))).isFalse();
    assertThat(dedup.admitReplayed(change(5012, 1000, 999))).isTrue();
  }

  private static Change change(long seq, long xid, long xmin) {
    return new Change(
        seq,
        xid,
        xmin,
        "2026-01-01T00:00:00Z",
        new TableRef("public", "items"),
        Change.Op.INSERT,
        null,
        null);
  }
}
