package dev.logshard.actors.support;

import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/** How LogShard's actors come back after a failure: one policy for all of them. */
public final class Supervision {

  private Supervision() {}

  /**
   * Restart after 200 ms, backing off to 5 s (with 20 % jitter): a journal that fails (its database
   * busy or gone for a moment) is tried again without a tight loop, and the actor recovers.
   */
  public static BackoffSupervisorStrategy restartWithBackoff() {
    return SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2);
  }
}
