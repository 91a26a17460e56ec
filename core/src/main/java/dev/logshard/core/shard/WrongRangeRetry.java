package dev.logshard.core.shard;

import java.time.Duration;

/**
 * A router's rule for a {@link KvReply.WrongRange} answer (its map is stale: the range moved, split
 * or merged) and a {@link KvReply.HandedOff} one (the generation moved to another node; the map is
 * current, so the command goes again after {@link #PAUSE}): it gets a newer map and sends the command again, pausing {@link #PAUSE} when even the
 * newest map is not newer (the commit is on its way), for as long as the command's budget lasts
 * (the ask timeout since its first send); then the client sees the WrongRange (as HTTP 503,
 * retryable). A budget in time, not a count of sends: a commit that is slow to reach the router
 * (a loaded machine, a long journal write) costs clients latency, not an error.
 */
public final class WrongRangeRetry {

  /** Pause before sending again when the map did not change. */
  public static final Duration PAUSE = Duration.ofMillis(5);

  /** The longest pause before a command answered {@link KvReply.HandedOff} goes again. */
  public static final Duration MAX_HANDED_OFF_PAUSE = Duration.ofMillis(100);

  private WrongRangeRetry() {}

  /**
   * The pause before a command answered {@link KvReply.HandedOff}, {@code elapsed} after its first
   * send, goes again: a quarter of what it waited so far, within [{@link #PAUSE},
   * {@link #MAX_HANDED_OFF_PAUSE}]. A hand-off ends in well under a second; a node that drops
   * commands for longer (it is stopping) costs tens of sends per command, not a thousand.
   */
  public static Duration handedOffPause(Duration elapsed) {
    Duration quarter = elapsed.dividedBy(4);
    return quarter.compareTo(PAUSE) < 0 ? PAUSE
        : quarter.compareTo(MAX_HANDED_OFF_PAUSE) > 0 ? MAX_HANDED_OFF_PAUSE : quarter;
  }

  /** Whether a command answered {@code reply}, {@code elapsed} after its first send, is sent again. */
  public static boolean sendAgain(KvReply reply, Duration elapsed, Duration budget) {
    return (reply instanceof KvReply.WrongRange || reply instanceof KvReply.HandedOff) && elapsed.compareTo(budget) < 0;
  }
}
