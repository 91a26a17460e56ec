package dev.logshard.core.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WrongRangeRetryTest {

  private static final Duration BUDGET = Duration.ofSeconds(5);

  @Test
  void wrongRangeAndHandedOffGoAgainWhileTheBudgetLastsAndNothingElseDoes() {
    assertTrue(WrongRangeRetry.sendAgain(new KvReply.WrongRange("r1.1", 2), Duration.ofMillis(10), BUDGET));
    assertTrue(WrongRangeRetry.sendAgain(new KvReply.HandedOff(), Duration.ofMillis(4_999), BUDGET));
    assertFalse(WrongRangeRetry.sendAgain(new KvReply.HandedOff(), BUDGET, BUDGET));
    assertFalse(WrongRangeRetry.sendAgain(new KvReply.Overloaded(), Duration.ZERO, BUDGET));
    assertFalse(WrongRangeRetry.sendAgain(new KvReply.NoReply(), Duration.ZERO, BUDGET));
  }

  @Test
  void theHandedOffPauseGrowsWithTheWaitWithinItsBounds() {
    assertEquals(WrongRangeRetry.PAUSE, WrongRangeRetry.handedOffPause(Duration.ZERO));
    assertEquals(Duration.ofMillis(40), WrongRangeRetry.handedOffPause(Duration.ofMillis(160)));
    assertEquals(WrongRangeRetry.MAX_HANDED_OFF_PAUSE, WrongRangeRetry.handedOffPause(Duration.ofSeconds(4)));
    // Sent again until the budget is spent, a command dropped every time goes a few dozen times.
    int sends = 1;
    Duration waited = Duration.ZERO;
    while (WrongRangeRetry.sendAgain(new KvReply.HandedOff(), waited, BUDGET)) {
      waited = waited.plus(WrongRangeRetry.handedOffPause(waited));
      sends++;
    }
    assertTrue(sends > 10 && sends < 80, "sends within the budget: " + sends);
  }
}
