package dev.logshard.actors;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.Expectation;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** Commands a RangeShard accepts. Every reply is a {@link KvReply}. */
public sealed interface RangeShardCommand extends CborSerializable {

  ActorRef<KvReply> replyTo();

  record Get(String key, ActorRef<KvReply> replyTo) implements RangeShardCommand {}

  record Put(String key, byte[] value, Expectation expect, ActorRef<KvReply> replyTo)
      implements RangeShardCommand {}

  record Delete(String key, Expectation expect, ActorRef<KvReply> replyTo)
      implements RangeShardCommand {}

  /** Applies the operations in order, atomically: their events are persisted together. */
  record ApplyBatch(List<Operation> operations, ActorRef<KvReply> replyTo)
      implements RangeShardCommand {}
}
