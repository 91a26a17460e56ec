package dev.logshard.core.shard;

/**
 * A router's rule for a {@link KvReply.WrongRange} answer (its map is stale: the range moved, split
 * or merged): it gets a newer map and sends the command again, up to {@link #MAX_ATTEMPTS} sends in
 * all; then the client sees the WrongRange (as HTTP 503, retryable).
 */
public final class WrongRangeRetry {

  /** Sends of one command before its WrongRange reaches the client. */
  public static final int MAX_ATTEMPTS = 8;

  private WrongRangeRetry() {}

  /** Whether the command answered {@code reply} at send number {@code attempt} (from 1) is sent again. */
  public static boolean sendAgain(KvReply reply, int attempt) {
    return reply instanceof KvReply.WrongRange && attempt < MAX_ATTEMPTS;
  }
}
