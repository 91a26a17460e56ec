package dev.logshard.core.shard;

/**
 * When a RangeShard snapshots. A snapshot costs about as much as the state is large, so a large
 * range snapshots less often: after {@code everyEvents} events or {@code afterBytes} written, or
 * half its key count or half its stored bytes, whichever is more. Recovery then replays at most
 * about as much as it loads, and a 100 MB range no longer writes 100 MB every 1,000 events
 * (measured: the main cause of stalls while large ranges were written). A destination being filled
 * by a Transfer's snapshot copy takes none until the copy is complete.
 *
 * <p>Lifecycle: one per incarnation of the entity, counting what was written since its last snapshot.
 */
public final class SnapshotPolicy {

  private final int everyEvents;
  private final long afterBytes;
  private long eventsSince;
  private long bytesSince;

  public SnapshotPolicy(int everyEvents, long afterBytes) {
    this.everyEvents = everyEvents;
    this.afterBytes = afterBytes;
  }

  /** Counts {@code event}, just applied to {@code state}; whether to snapshot now. */
  public boolean shouldSnapshot(RangeShardState state, RangeShardEvent event) {
    eventsSince++;
    if (event instanceof RangeShardEvent.ValuePut put) {
      bytesSince += put.value().length;
    } else if (event instanceof RangeShardEvent.ChangesApplied applied) {
      eventsSince += applied.changes().size(); // replay cost goes by the changes an event carries
      for (Change c : applied.changes()) {
        bytesSince += c.value() == null ? 0 : c.value().length;
      }
      if (applied.upToSeqNr() == 0) {
        // A Transfer's snapshot copy in progress: a crash restarts it from empty, so a snapshot of a
        // half-copied state would never be used; one is taken when the copy's last chunk arrives.
        return false;
      }
    }
    if (eventsSince >= Math.max(everyEvents, state.keyCount() / 2)
        || bytesSince >= Math.max(afterBytes, state.storedBytes() / 2)) {
      eventsSince = 0;
      bytesSince = 0;
      return true;
    }
    return false;
  }
}
