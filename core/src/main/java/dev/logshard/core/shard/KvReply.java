package dev.logshard.core.shard;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.logshard.core.CborSerializable;
import java.util.List;

/**
 * What a RangeShard answers to a key-value command. Replies also travel inside {@link Batch}, so
 * the type is written into the serialized form; that is why {@link NotFound} is a field-less
 * record rather than an enum singleton.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = KvReply.Value.class, name = "value"),
  @JsonSubTypes.Type(value = KvReply.Written.class, name = "written"),
  @JsonSubTypes.Type(value = KvReply.Deleted.class, name = "deleted"),
  @JsonSubTypes.Type(value = KvReply.NotFound.class, name = "not-found"),
  @JsonSubTypes.Type(value = KvReply.PreconditionFailed.class, name = "precondition-failed"),
  @JsonSubTypes.Type(value = KvReply.WrongRange.class, name = "wrong-range"),
  @JsonSubTypes.Type(value = KvReply.Batch.class, name = "batch"),
  @JsonSubTypes.Type(value = KvReply.Overloaded.class, name = "overloaded"),
  @JsonSubTypes.Type(value = KvReply.Unreachable.class, name = "unreachable"),
  @JsonSubTypes.Type(value = KvReply.NoReply.class, name = "no-reply"),
  @JsonSubTypes.Type(value = KvReply.HandedOff.class, name = "handed-off"),
  @JsonSubTypes.Type(value = KvReply.TooLarge.class, name = "too-large")
})
public sealed interface KvReply extends CborSerializable {

  /** The key's value and version. */
  record Value(byte[] value, long version) implements KvReply {}

  /** A put was stored at {@code version}; {@code created} when the key did not exist. */
  record Written(long version, boolean created) implements KvReply {}

  /** A delete was stored at {@code version}. */
  record Deleted(long version) implements KvReply {}

  /** The key does not exist. */
  record NotFound() implements KvReply {}

  /** The expectation did not hold; the key is at {@code currentVersion} (0: missing). */
  record PreconditionFailed(long currentVersion) implements KvReply {}

  /**
   * The entity does not own the key (or any range, or no longer: it handed off at {@code epoch}):
   * the sender's shard map is older than {@code epoch} (0: unknown). Routers refresh and retry.
   */
  record WrongRange(String entityId, long epoch) implements KvReply {}

  /** One reply per operation of a batch, in order. */
  record Batch(List<KvReply> results) implements KvReply {}

  /** Not applied: the range's queue is full; sending it again later may succeed. */
  record Overloaded() implements KvReply {}

  /**
   * Not applied: the node running the range was unreachable for as long as the router held the
   * request (set by the router, never sent); sending it again later may succeed.
   */
  record Unreachable() implements KvReply {}

  /**
   * No reply in time (set by the router, never sent): the operation was queued, so a write may or
   * may not have been applied.
   */
  record NoReply() implements KvReply {}

  /**
   * Not applied: the generation was stopping to run on another node (Cluster Sharding handed it off,
   * or passivated it) when the command reached it. Routers send it again to the same generation,
   * which sharding starts where it now runs.
   */
  record HandedOff() implements KvReply {}

  /**
   * A read of a batch whose value is not returned: with the values before it in the batch, the
   * range's answer would not fit one message between nodes ({@code limits.max-batch-bytes-per-range}).
   * The key is there; read it alone or in a smaller batch.
   */
  record TooLarge() implements KvReply {}

  /**
   * What each operation of a batch counts for against {@code limits.max-batch-bytes-per-range},
   * beyond its key and value: the envelope of its part of the message.
   */
  int BATCH_BYTES_PER_OPERATION = 64;

  /**
   * {@code batch} with every value past {@code maxBytes} (values plus
   * {@link #BATCH_BYTES_PER_OPERATION} for each result, counted in order) replaced by
   * {@link TooLarge}: the answer of one range stays within one remote message. The same batch when it fits.
   */
  static Batch fitted(Batch batch, long maxBytes) {
    int perOperation = BATCH_BYTES_PER_OPERATION;
    long bytes = 0;
    List<KvReply> results = null;
    for (int i = 0; i < batch.results().size(); i++) {
      KvReply r = batch.results().get(i);
      bytes += perOperation + (r instanceof Value v ? v.value().length : 0);
      if (bytes > maxBytes && r instanceof Value) {
        if (results == null) {
          results = new java.util.ArrayList<>(batch.results());
        }
        results.set(i, new TooLarge());
        bytes -= ((Value) r).value().length;
      }
    }
    return results == null ? batch : new Batch(List.copyOf(results));
  }
}
