package dev.logshard.core.shard;

import dev.logshard.core.CborSerializable;
import java.util.List;

/**
 * What a RangeShard journals. Versions come from the range's own counter, so they only grow; the
 * Transfer events carry version 0 (they change no key) except {@link ChangesApplied}, which
 * carries the source's counter so the destination's versions keep growing.
 */
public sealed interface RangeShardEvent extends CborSerializable {

  long version();

  /** The key changes in an event at source sequence number {@code seqNr}, as a Transfer's catch-up copies them. */
  static List<Change> changesOf(Object event, long seqNr) {
    if (event instanceof ValuePut put) {
      return List.of(new Change(put.key(), put.value(), put.version(), seqNr));
    }
    if (event instanceof ValueDeleted deleted) {
      return List.of(new Change(deleted.key(), null, deleted.version(), seqNr));
    }
    if (event instanceof ChangesApplied earlier) {
      return earlier.changes().stream().map(c -> new Change(c.key(), c.value(), c.version(), seqNr)).toList();
    }
    return List.of();
  }

  /** The bytes of {@link #changesOf}'s changes, without making them. */
  static long sizeOf(Object event) {
    if (event instanceof ValuePut put) {
      return Change.sizeOf(put.key(), put.value());
    }
    if (event instanceof ValueDeleted deleted) {
      return Change.sizeOf(deleted.key(), null);
    }
    if (event instanceof ChangesApplied earlier) {
      return earlier.changes().stream().mapToLong(Change::sizeInBytes).sum();
    }
    return 0;
  }

  record ValuePut(String key, byte[] value, long version) implements RangeShardEvent {}

  record ValueDeleted(String key, long version) implements RangeShardEvent {}

  /** Source: writes are held for this transfer. */
  record SourceFenced(String transferId) implements RangeShardEvent {
    @Override
    public long version() {
      return 0;
    }
  }

  /** Source: the transfer rolled back; writes are accepted again. */
  record SourceUnfenced(String transferId) implements RangeShardEvent {
    @Override
    public long version() {
      return 0;
    }
  }

  /** Source: the transfer committed at {@code epoch}; this generation never writes again. */
  record SourceHandedOff(String transferId, long epoch) implements RangeShardEvent {
    @Override
    public long version() {
      return 0;
    }
  }

  /**
   * Destination: following the sources of a transfer from an empty state, for the snapshot copy
   * {@code copy} (each attempt at the copy has its own; null in events of older versions).
   */
  record FollowingStarted(String transferId, List<String> sourceEntityIds, String copy) implements RangeShardEvent {
    @Override
    public long version() {
      return 0;
    }
  }

  /** Destination: changes of a source applied; the source is applied up to {@code upToSeqNr} (0: unchanged). */
  record ChangesApplied(String sourceEntityId, long upToSeqNr, List<Change> changes, long version)
      implements RangeShardEvent {}
}
