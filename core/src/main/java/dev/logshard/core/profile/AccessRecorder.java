package dev.logshard.core.profile;

import dev.logshard.core.ShardMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * What the request path calls on every access: count it for its range and, for one access in
 * {@code sampleEvery}, append it to the {@link AccessLog}. Lock-free and allocation-free; the
 * range is found by the ShardMap's binary search. When the map changes, {@link #switchTo} gives
 * the new ranges fresh counters.
 */
public final class AccessRecorder {

  private final AccessLog log;
  private final int sampleEvery;
  private final LongSupplier clock;
  private volatile Ranges ranges;
  private volatile boolean recording = true;

  private record Ranges(ShardMap map, RangeLoadCounters[] counters) {}

  public AccessRecorder(ShardMap map, AccessLog log, int sampleEvery, LongSupplier clockMillis) {
    if (sampleEvery < 1) {
      throw new IllegalArgumentException("sampleEvery must be >= 1, was " + sampleEvery);
    }
    this.log = log;
    this.sampleEvery = sampleEvery;
    this.clock = clockMillis;
    this.ranges = countersFor(map);
  }

  private static Ranges countersFor(ShardMap map) {
    RangeLoadCounters[] counters = new RangeLoadCounters[map.size()];
    for (int i = 0; i < counters.length; i++) {
      counters[i] = new RangeLoadCounters();
    }
    return new Ranges(map, counters);
  }

  /** Whether the request path records (an operator can pause it at runtime; the counters stay). */
  public boolean recording() {
    return recording;
  }

  public void setRecording(boolean recording) {
    this.recording = recording;
  }

  /** Starts counting by {@code map}'s ranges (counts under the old map are dropped). */
  public void switchTo(ShardMap map) {
    ranges = countersFor(map);
  }

  public void record(String key, long keyHash, AccessKind kind, int bytes, int clientId) {
    record(key, keyHash, kind, bytes, clientId, sampleNext());
  }

  /** Whether the next access (or the next batch, as a whole) goes into the AccessLog. */
  public boolean sampleNext() {
    return sampleEvery == 1 || ThreadLocalRandom.current().nextInt(sampleEvery) == 0;
  }

  /** Counts the access, and appends it to the AccessLog if {@code sampled}. */
  public void record(String key, long keyHash, AccessKind kind, int bytes, int clientId, boolean sampled) {
    Ranges current = ranges;
    current.counters()[current.map().indexOf(keyHash)].record(kind, bytes);
    if (sampled) {
      log.append(clock.getAsLong(), key, keyHash, kind, bytes, clientId);
    }
  }

  /** How long a request for {@code keyHash} took, from the router's ask to its reply. */
  public void recordLatency(long keyHash, long micros) {
    Ranges current = ranges;
    current.counters()[current.map().indexOf(keyHash)].recordLatency(micros);
  }

  /** The current map and each of its ranges' counters, in ring order. */
  public ShardMap map() {
    return ranges.map();
  }

  public RangeLoadCounters counters(int rangeIndex) {
    return ranges.counters()[rangeIndex];
  }

  public AccessLog log() {
    return log;
  }
}
