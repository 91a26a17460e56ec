package dev.logshard.core.shard;

import dev.logshard.core.CborSerializable;
import java.util.List;
import java.util.Map;

/**
 * The persisted form of a {@link RangeShardState}: an immutable copy taken on the actor. The
 * Transfer fields are absent (null / 0) in snapshots written before transfers existed.
 */
public record RangeShardSnapshot(
    List<Entry> entries,
    long lastVersion,
    String fencedBy,
    long handedOffEpoch,
    String followingTransfer,
    Map<String, Long> appliedBySource,
    String followingCopy) implements CborSerializable {

  public record Entry(String key, byte[] value, long version) {}
}
