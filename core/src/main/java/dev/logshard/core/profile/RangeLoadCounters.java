package dev.logshard.core.profile;

import java.util.concurrent.atomic.LongAdder;

/**
 * The request path's counters of one range: striped ({@link LongAdder}), so concurrent requests
 * do not contend on one cache line. The profiler reads and resets them once per tick.
 */
public final class RangeLoadCounters {

  private final LongAdder reads = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();

  void record(AccessKind kind, int bytes) {
    if (kind == AccessKind.READ) {
      reads.increment();
      bytesOut.add(bytes);
    } else {
      writes.increment();
      bytesIn.add(bytes);
    }
  }

  /** The counts since the last call, and zero to start the next interval. */
  public Snapshot takeSnapshot() {
    return new Snapshot(reads.sumThenReset(), writes.sumThenReset(), bytesIn.sumThenReset(), bytesOut.sumThenReset());
  }

  /** One interval's counts of a range. */
  public record Snapshot(long reads, long writes, long bytesIn, long bytesOut) {}
}
