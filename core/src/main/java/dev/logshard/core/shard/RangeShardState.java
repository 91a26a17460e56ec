package dev.logshard.core.shard;

import dev.logshard.core.KeyRange;
import dev.logshard.core.shard.RangeShardEvent.ChangesApplied;
import dev.logshard.core.shard.RangeShardEvent.FollowingStarted;
import dev.logshard.core.shard.RangeShardEvent.SourceFenced;
import dev.logshard.core.shard.RangeShardEvent.SourceHandedOff;
import dev.logshard.core.shard.RangeShardEvent.SourceUnfenced;
import dev.logshard.core.shard.RangeShardEvent.ValueDeleted;
import dev.logshard.core.shard.RangeShardEvent.ValuePut;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys of one range generation with their values and versions.
 *
 * <p>Changed in place, and only by the event handler: copying a map of up to millions of keys per
 * event would cost O(n) per write. Pekko applies events on the actor's thread and builds a fresh
 * state on every recovery, so no one else sees it change. It never leaves the actor as is: a
 * snapshot is an immutable {@link RangeShardSnapshot} copy, made on the actor's thread.
 *
 * <p>Transfers add: as a source, the transfer that fences it (writes are held) and the epoch at
 * which it handed off (it never writes again); as a destination, the transfer it follows and, per
 * source, the last source sequence number applied, so a change is never applied twice.
 */
public final class RangeShardState {

  /** A value with the version it was written at. */
  public record Versioned(byte[] value, long version) {}

  private final Map<String, Versioned> entries;
  private long lastVersion;
  private long storedBytes;
  private String fencedBy;
  private long handedOffEpoch;
  private String followingTransfer;
  private String followingCopy;
  private final Map<String, Long> appliedBySource = new HashMap<>();

  public RangeShardState() {
    this(new HashMap<>(), 0);
  }

  private RangeShardState(Map<String, Versioned> entries, long lastVersion) {
    this.entries = entries;
    this.lastVersion = lastVersion;
    for (Map.Entry<String, Versioned> e : entries.entrySet()) {
      storedBytes += entryBytes(e.getKey(), e.getValue().value());
    }
  }

  public static RangeShardState fromSnapshot(RangeShardSnapshot snapshot) {
    Map<String, Versioned> entries = new HashMap<>(Math.max(16, snapshot.entries().size() * 4 / 3 + 1));
    for (RangeShardSnapshot.Entry e : snapshot.entries()) {
      entries.put(e.key(), new Versioned(e.value(), e.version()));
    }
    RangeShardState state = new RangeShardState(entries, snapshot.lastVersion());
    state.fencedBy = snapshot.fencedBy();
    state.handedOffEpoch = snapshot.handedOffEpoch();
    state.followingTransfer = snapshot.followingTransfer();
    state.followingCopy = snapshot.followingCopy();
    if (snapshot.appliedBySource() != null) {
      state.appliedBySource.putAll(snapshot.appliedBySource());
    }
    return state;
  }

  public RangeShardSnapshot toSnapshot() {
    return new RangeShardSnapshot(List.copyOf(exportEntries()), lastVersion, fencedBy, handedOffEpoch,
        followingTransfer, Map.copyOf(appliedBySource), followingCopy);
  }

  /** A point-in-time copy of the entries (values are never changed in place, so they are shared). */
  List<RangeShardSnapshot.Entry> exportEntries() {
    List<RangeShardSnapshot.Entry> list = new ArrayList<>(entries.size());
    entries.forEach((k, v) -> list.add(new RangeShardSnapshot.Entry(k, v.value(), v.version())));
    return list;
  }

  /** The transfer whose fence holds this range's writes, or null. */
  public String fencedBy() {
    return fencedBy;
  }

  /** The epoch at which this generation handed off to its successors; 0 while it owns its range. */
  public long handedOffEpoch() {
    return handedOffEpoch;
  }

  /** The transfer this destination follows, or null. */
  public String followingTransfer() {
    return followingTransfer;
  }

  /** The snapshot copy of that transfer it follows (changes of another attempt are refused), or null. */
  public String followingCopy() {
    return followingCopy;
  }

  /**
   * What a destination persists for changes of a source: only those after what it applied from that
   * source (changes are idempotent by source sequence number; snapshot entries carry 0) and inside
   * its own range (a split's destination); null when a catch-up step brings nothing new.
   */
  ChangesApplied changesToApply(String sourceEntityId, long upToSeqNr, List<Change> changes, long sourceLastVersion,
      KeyRange range) {
    long applied = appliedFrom(sourceEntityId);
    if (upToSeqNr > 0 && upToSeqNr <= applied) {
      return null;
    }
    // Snapshot entries (sequence number 0) only until the copy's last chunk set how far it applied:
    // a late chunk must not overwrite what the catch-up applied since.
    List<Change> fresh = changes.stream()
        .filter(c -> c.sourceSeqNr() == 0 ? applied == 0 : c.sourceSeqNr() > applied)
        .filter(c -> range.contains(c.key()))
        .toList();
    return new ChangesApplied(sourceEntityId, upToSeqNr, fresh, sourceLastVersion);
  }

  /** The last sequence number of {@code sourceEntityId} this destination applied (0: none). */
  public long appliedFrom(String sourceEntityId) {
    return appliedBySource.getOrDefault(sourceEntityId, 0L);
  }

  /** The key's value and version, or null. */
  public Versioned get(String key) {
    return entries.get(key);
  }

  /** The highest version this range has handed out; the next write gets a higher one. */
  public long lastVersion() {
    return lastVersion;
  }

  public int keyCount() {
    return entries.size();
  }

  /** Key and value bytes held. */
  public long storedBytes() {
    return storedBytes;
  }

  public RangeShardState apply(RangeShardEvent event) {
    if (event instanceof ValuePut put) {
      put(put.key(), new Versioned(put.value(), put.version()));
    } else if (event instanceof ValueDeleted deleted) {
      remove(deleted.key());
    } else if (event instanceof ChangesApplied applied) {
      for (Change change : applied.changes()) {
        if (change.value() == null) {
          remove(change.key());
        } else {
          put(change.key(), new Versioned(change.value(), change.version()));
        }
        lastVersion = Math.max(lastVersion, change.version());
      }
      if (applied.upToSeqNr() > 0) {
        appliedBySource.merge(applied.sourceEntityId(), applied.upToSeqNr(), Math::max);
      }
    } else if (event instanceof SourceFenced fenced) {
      fencedBy = fenced.transferId();
    } else if (event instanceof SourceUnfenced) {
      fencedBy = null;
    } else if (event instanceof SourceHandedOff handedOff) {
      handedOffEpoch = handedOff.epoch();
    } else if (event instanceof FollowingStarted following) {
      entries.clear();
      storedBytes = 0;
      appliedBySource.clear();
      followingTransfer = following.transferId();
      followingCopy = following.copy();
    }
    lastVersion = Math.max(lastVersion, event.version());
    return this;
  }

  private void put(String key, Versioned value) {
    Versioned previous = entries.put(key, value);
    storedBytes += entryBytes(key, value.value());
    if (previous != null) {
      storedBytes -= entryBytes(key, previous.value());
    }
  }

  private void remove(String key) {
    Versioned previous = entries.remove(key);
    if (previous != null) {
      storedBytes -= entryBytes(key, previous.value());
    }
  }

  private static long entryBytes(String key, byte[] value) {
    // Keys are mostly ASCII; the exact UTF-8 length is not worth an encoding per write.
    return key.length() + (long) value.length;
  }

  /** For tests and diagnostics: whether the key is held as {@code value} at {@code version}. */
  public boolean holds(String key, String value, long version) {
    Versioned v = entries.get(key);
    return v != null && v.version() == version
        && new String(v.value(), StandardCharsets.UTF_8).equals(value);
  }
}
