package dev.logshard.actors;

import dev.logshard.actors.RangeShardEvent.ValueDeleted;
import dev.logshard.actors.RangeShardEvent.ValuePut;
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
 */
public final class RangeShardState {

  /** A value with the version it was written at. */
  public record Versioned(byte[] value, long version) {}

  private final Map<String, Versioned> entries;
  private long lastVersion;
  private long storedBytes;

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
    return new RangeShardState(entries, snapshot.lastVersion());
  }

  public RangeShardSnapshot toSnapshot() {
    List<RangeShardSnapshot.Entry> list = new ArrayList<>(entries.size());
    entries.forEach((k, v) -> list.add(new RangeShardSnapshot.Entry(k, v.value(), v.version())));
    return new RangeShardSnapshot(List.copyOf(list), lastVersion);
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

  RangeShardState apply(RangeShardEvent event) {
    if (event instanceof ValuePut put) {
      Versioned previous = entries.put(put.key(), new Versioned(put.value(), put.version()));
      storedBytes += entryBytes(put.key(), put.value());
      if (previous != null) {
        storedBytes -= entryBytes(put.key(), previous.value());
      }
    } else if (event instanceof ValueDeleted deleted) {
      Versioned previous = entries.remove(deleted.key());
      if (previous != null) {
        storedBytes -= entryBytes(deleted.key(), previous.value());
      }
    }
    lastVersion = Math.max(lastVersion, event.version());
    return this;
  }

  private static long entryBytes(String key, byte[] value) {
    // Keys are mostly ASCII; the exact UTF-8 length is not worth an encoding per write.
    return key.length() + (long) value.length;
  }

  /** For tests and diagnostics: whether the key is held as {@code value} at {@code version}. */
  boolean holds(String key, String value, long version) {
    Versioned v = entries.get(key);
    return v != null && v.version() == version
        && new String(v.value(), StandardCharsets.UTF_8).equals(value);
  }
}
