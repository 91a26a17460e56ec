package dev.logshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CassandraCommitLogTest {

  @Test
  void aCommitLogSyncedBeforeTheAcknowledgementIsFine() {
    assertEquals(Optional.empty(), CassandraCommitLog.warning("batch"));
    assertEquals(Optional.empty(), CassandraCommitLog.warning("GROUP"));
  }

  @Test
  void aPeriodicCommitLogIsWarnedAboutWithWhatToDo() {
    String warning = CassandraCommitLog.warning("periodic").orElseThrow();
    assertTrue(warning.contains("periodic") && warning.contains("commitlog_sync: batch"), warning);
  }

  @Test
  void aSettingThatCannotBeReadIsWarnedAboutToo() {
    assertTrue(CassandraCommitLog.warning(null).orElseThrow().contains("could not read"));
  }
}
