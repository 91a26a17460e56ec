package dev.logshard.core.profile;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How much each range generation on this node holds: keys and stored bytes, as its RangeShard last
 * reported them (after recovery and after every persisted write). Read by the profiler. A
 * passivated range keeps its last report; a range that has not run on this node since it started
 * has none.
 */
public final class RangeSizes {

  /** One range generation's size; written by its RangeShard only. */
  public static final class Size {
    private volatile long keys;
    private volatile long bytes;

    public void update(long keys, long bytes) {
      this.keys = keys;
      this.bytes = bytes;
    }

    public long keys() {
      return keys;
    }

    public long bytes() {
      return bytes;
    }
  }

  private final Map<String, Size> byEntityId = new ConcurrentHashMap<>();

  /** The holder for {@code entityId} ({@code rangeId.generation}), created on first use. */
  public Size of(String entityId) {
    return byEntityId.computeIfAbsent(entityId, id -> new Size());
  }

  /** The last report for {@code entityId}, or null if it has not run on this node. */
  public Size find(String entityId) {
    return byEntityId.get(entityId);
  }
}
