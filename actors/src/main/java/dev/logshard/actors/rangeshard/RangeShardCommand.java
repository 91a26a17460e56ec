package dev.logshard.actors.rangeshard;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.Expectation;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Commands a RangeShard accepts: key-value commands from routers (each answered with a
 * {@link KvReply}) and the steps of a Transfer, sent by its saga (answered with a
 * {@link TransferReply}, see {@link TransferStep}).
 */
public sealed interface RangeShardCommand extends CborSerializable {

  /** A command of the data path. */
  sealed interface KvCommand extends RangeShardCommand {
    ActorRef<KvReply> replyTo();
  }

  record Get(String key, ActorRef<KvReply> replyTo) implements KvCommand {}

  record Put(String key, byte[] value, Expectation expect, ActorRef<KvReply> replyTo) implements KvCommand {}

  record Delete(String key, Expectation expect, ActorRef<KvReply> replyTo) implements KvCommand {}

  /** Applies the operations in order, atomically: their events are persisted together. */
  record ApplyBatch(List<Operation> operations, ActorRef<KvReply> replyTo) implements KvCommand {}

  /** A read the source sent on to a destination: served there only once it applied {@code minSeqNr}. */
  record ReadAt(String key, String sourceEntityId, long minSeqNr, ActorRef<RangeShardCommand> source,
      ActorRef<KvReply> replyTo) implements KvCommand {}

  /** A read served here, never redirected (a destination that lags sends reads back as this). */
  record ReadLocal(String key, ActorRef<KvReply> replyTo) implements KvCommand {}

  /** The directory's answer to a starting entity (internal). */
  record PlacementResolved(PlacementDirectory.Placement placement) implements RangeShardCommand {}

  /** The directory did not answer in time: ask again (internal). */
  enum ResolveAgain implements RangeShardCommand { INSTANCE }

  /** A starting generation's lease (cluster mode): taken, or not ({@code failure}: why, if it failed). */
  record LeaseAcquired(boolean acquired, String failure) implements RangeShardCommand {}

  /** A starting generation tries its lease again; its lease ran out or was taken: it stops. */
  enum LeaseCheck implements RangeShardCommand { RETRY, LOST }

  /**
   * Cluster Sharding stops this generation (its stop message: a hand-off to another node, a
   * passivation, a retired shard). Commands it has not applied are answered {@link KvReply.HandedOff}
   * (routers send them again), what is being written is finished and answered, then it stops.
   */
  enum HandOff implements RangeShardCommand { INSTANCE }

  /**
   * A step of a Transfer, sent by its saga (or, {@link TransferStep.PersistHandOff}, by the
   * RangeShard to itself), answered to {@code replyTo}.
   */
  record Step(TransferStep step, ActorRef<TransferReply> replyTo) implements RangeShardCommand {}
}
