package dev.logshard.core.profile;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A bounded, lossy, lock-free ring of sampled accesses: writers on the request path never block
 * and never allocate; a single reader (the profiler's tick) drains it. When writers outrun the
 * reader the oldest records are overwritten (counted in {@link #overwritten()}), so memory is
 * fixed at construction.
 *
 * <p>Each slot carries a sequence stamp (a per-slot seqlock): a writer marks the slot busy, writes
 * the fields, then publishes its sequence number; the reader takes a record only if the stamp is
 * the one it expects before and after reading the fields, so it never sees a torn record. A
 * writer claims its slot with a compare-and-set, so when the ring laps a paused writer the later
 * record is dropped ({@link #dropped()}) rather than mixed with it.
 */
public final class AccessLog {

  private static final long BUSY = -1L;
  private static final long NEVER_WRITTEN = -2L;

  private final int mask;
  private final AtomicLong next = new AtomicLong();
  private final AtomicLongArray stamps;
  private final long[] times;
  private final long[] hashes;
  private final int[] kindAndBytes;
  private final int[] clients;
  private final AtomicReferenceArray<String> keys;
  private final AtomicLong dropped = new AtomicLong();
  private long readFrom;
  private long overwritten;

  /** {@code capacity} is rounded up to a power of two. */
  public AccessLog(int capacity) {
    int size = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
    this.mask = size - 1;
    this.stamps = new AtomicLongArray(size);
    for (int i = 0; i < size; i++) {
      stamps.set(i, NEVER_WRITTEN);
    }
    this.times = new long[size];
    this.hashes = new long[size];
    this.kindAndBytes = new int[size];
    this.clients = new int[size];
    this.keys = new AtomicReferenceArray<>(size);
  }

  public int capacity() {
    return mask + 1;
  }

  /** Appends a record; lock-free, allocation-free. */
  public void append(long timeMillis, String key, long keyHash, AccessKind kind, int bytes, int clientId) {
    long seq = next.getAndIncrement();
    int slot = (int) (seq & mask);
    long stamp = stamps.get(slot);
    // Claim the slot: only from an older record, never from a writer still in it (BUSY) or one
    // that already lapped us. A record that cannot claim its slot is dropped, never mixed.
    if (stamp == BUSY || stamp > seq || !stamps.compareAndSet(slot, stamp, BUSY)) {
      dropped.incrementAndGet();
      return;
    }
    VarHandle.storeStoreFence(); // the fields below may not become visible before BUSY
    times[slot] = timeMillis;
    hashes[slot] = keyHash;
    kindAndBytes[slot] = (kind == AccessKind.WRITE ? 0x8000_0000 : 0) | (Math.max(0, bytes) & 0x7FFF_FFFF);
    clients[slot] = clientId;
    keys.lazySet(slot, key);
    stamps.set(slot, seq); // publishes the fields written above
  }

  /**
   * Hands every record appended since the last drain to {@code sink}, oldest first; records that
   * were overwritten or are being written right now are skipped. Single reader only.
   */
  public int drain(Consumer<AccessRecord> sink) {
    long end = next.get();
    long start = Math.max(readFrom, end - capacity());
    overwritten += start - readFrom;
    int drained = 0;
    for (long seq = start; seq < end; seq++) {
      int slot = (int) (seq & mask);
      if (stamps.get(slot) != seq) {
        overwritten++;
        continue;
      }
      long time = times[slot];
      long hash = hashes[slot];
      int kb = kindAndBytes[slot];
      int client = clients[slot];
      String key = keys.get(slot);
      VarHandle.loadLoadFence(); // the reads above may not move past the check below
      if (stamps.get(slot) != seq) { // rewritten while we read it
        overwritten++;
        continue;
      }
      sink.accept(new AccessRecord(time, key, hash, kb < 0 ? AccessKind.WRITE : AccessKind.READ,
          kb & 0x7FFF_FFFF, client));
      drained++;
    }
    readFrom = end;
    return drained;
  }

  /** Records lost to overwriting or to a concurrent write, since creation (reader's view). */
  public long overwritten() {
    return overwritten;
  }

  /** Records not written because their slot was still taken by a lapped writer. */
  public long dropped() {
    return dropped.get();
  }
}
