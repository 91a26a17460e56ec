package dev.logshard.actors;

import dev.logshard.core.CborSerializable;

/** What a RangeShard journals. Versions come from the range's own counter, so they only grow. */
public sealed interface RangeShardEvent extends CborSerializable {

  long version();

  record ValuePut(String key, byte[] value, long version) implements RangeShardEvent {}

  record ValueDeleted(String key, long version) implements RangeShardEvent {}
}
