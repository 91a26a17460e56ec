package dev.logshard.core.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.logshard.core.shard.Change;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentChangesTest {

  private static RangeShardEvent put(String key, int bytes) {
    return new RangeShardEvent.ValuePut(key, new byte[bytes], 1);
  }

  private static List<String> keys(List<Change> changes) {
    return changes.stream().map(Change::key).toList();
  }

  @Test
  void answersOnlyWhatItHoldsWhole() {
    RecentChanges recent = new RecentChanges(3, 1 << 20);
    assertNull(recent.between(1, 1, 1 << 20), "nothing recorded yet");
    recent.record(List.of(put("a", 1), put("b", 1)), 11); // seqNr 10, 11
    recent.record(List.of(new RangeShardEvent.SourceFenced("t")), 12);
    assertEquals(List.of("a", "b"), keys(recent.between(10, 12, 1 << 20)));
    assertEquals(List.of("b"), keys(recent.between(11, 11, 1 << 20)));
    assertEquals(List.of(), recent.between(13, 12, 1 << 20), "nothing is missing");
    assertNull(recent.between(9, 12, 1 << 20), "seqNr 9 was never recorded");
    assertNull(recent.between(10, 13, 1 << 20), "seqNr 13 is not there yet");
    recent.record(List.of(put("c", 1)), 13); // four events: seqNr 10 falls out
    assertNull(recent.between(10, 13, 1 << 20));
    assertEquals(List.of("b", "c"), keys(recent.between(11, 13, 1 << 20)));
  }

  @Test
  void isBoundedByBytesAndAnswersNoMoreThanAsked() {
    RecentChanges recent = new RecentChanges(1000, 3000);
    for (int i = 1; i <= 5; i++) {
      recent.record(List.of(put("k" + i, 1000)), i);
    }
    assertNull(recent.between(3, 5, 1 << 20), "only the last two fit in 3000 bytes");
    assertEquals(List.of("k4", "k5"), keys(recent.between(4, 5, 1 << 20)));
    assertNull(recent.between(4, 5, 1500), "more than the answer may carry");
    assertEquals(List.of("k5"), keys(recent.between(5, 5, 1500)));
  }
}
