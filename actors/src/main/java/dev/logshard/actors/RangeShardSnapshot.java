package dev.logshard.actors;

import dev.logshard.core.CborSerializable;
import java.util.List;

/** The persisted form of a {@link RangeShardState}: an immutable copy taken on the actor. */
public record RangeShardSnapshot(List<Entry> entries, long lastVersion) implements CborSerializable {

  public record Entry(String key, byte[] value, long version) {}
}
