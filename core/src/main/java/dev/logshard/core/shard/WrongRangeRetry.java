package dev.logshard.core.shard;

import java.time.Duration;

/**
 * A router's rule for a {@link KvReply.WrongRange} answer (its map is stale: the range moved, split
 * or merged): it gets a newer map and sends the command again, pausing {@link #PAUSE} when even the
 * newest map is not newer (the commit is on its way), for as long as the command's budget lasts
 * (the ask timeout since its first send); then the client sees the WrongRange (as HTTP 503,
 * retryable). A budget in time, not a count of sends: a commit that is slow to reach the router
 * (a loaded machine, a long journal write) costs clients latency, not an error.
 */
public final class WrongRangeRetry {

  /** Pause before sending again when the map did not change. */
  public static final Duration PAUSE = Duration.ofMillis(5);

  private WrongRangeRetry() {}

  /** Whether a command answered {@code reply}, {@code elapsed} after its first send, is sent again. */
  public static boolean sendAgain(KvReply reply, Duration elapsed, Duration budget) {
    return reply instanceof KvReply.WrongRange && elapsed.compareTo(budget) < 0;
  }
}
