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
  @JsonSubTypes.Type(value = KvReply.HandedOff.class, name = "handed-off")
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
}
