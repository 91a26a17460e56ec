package dev.logshard.core.profile;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The request path's counters of one range: striped ({@link LongAdder}), so concurrent requests
 * do not contend on one cache line, and a wait-free latency histogram (HdrHistogram's
 * {@link Recorder}). The profiler reads and resets them once per tick.
 */
public final class RangeLoadCounters {

  private final LongAdder reads = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final Recorder latencyMicros = new Recorder(3);
  private Histogram recycled;

  void record(AccessKind kind, int bytes) {
    if (kind == AccessKind.READ) {
      reads.increment();
      bytesOut.add(bytes);
    } else {
      writes.increment();
      bytesIn.add(bytes);
    }
  }

  void recordLatency(long micros) {
    latencyMicros.recordValue(Math.max(0, micros));
  }

  /** The counts since the last call, and zero to start the next interval. One reader only. */
  public Snapshot takeSnapshot() {
    recycled = latencyMicros.getIntervalHistogram(recycled);
    return new Snapshot(reads.sumThenReset(), writes.sumThenReset(), bytesIn.sumThenReset(), bytesOut.sumThenReset(),
        recycled.getTotalCount() == 0 ? 0 : recycled.getValueAtPercentile(50),
        recycled.getTotalCount() == 0 ? 0 : recycled.getValueAtPercentile(99));
  }

  /** One interval's counts of a range, and its requests' latency (0 when none completed). */
  public record Snapshot(long reads, long writes, long bytesIn, long bytesOut, long p50Micros, long p99Micros) {}
}
