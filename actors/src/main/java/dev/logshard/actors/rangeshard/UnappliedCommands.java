package dev.logshard.actors.rangeshard;

import dev.logshard.core.shard.KvReply;
import org.apache.pekko.actor.AllDeadLetters;
import org.apache.pekko.actor.UnhandledMessage;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * Per node: answers {@link KvReply.HandedOff} for every key-value command that ended undelivered on
 * this node, so that its router sends it again instead of waiting out the ask timeout.
 *
 * <p>Why: Cluster Sharding drops what it cannot deliver while it moves a generation to another node
 * (a hand-off: a node leaving, a rebalance). A region drops the messages it buffered for a shard
 * between the start of its hand-off and its stop (Pekko does this on purpose, against reordering);
 * a shard that is stopping its entities drops what reaches it; an entity that stopped leaves its
 * mailbox to dead letters; a node gone leaves what was sent to it to the sender's. None of those
 * commands reached a RangeShard's command handler, so none was applied: sending it again is safe.
 * A command that did reach it is answered by the RangeShard itself (see {@link RangeShardBatcher}).
 * Lives as long as the node (it also answers during the node's own shutdown).
 */
public final class UnappliedCommands {

  private UnappliedCommands() {}

  public static Behavior<Object> create() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(AllDeadLetters.class, ctx.getSelf().narrow()));
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(UnhandledMessage.class, ctx.getSelf().narrow()));
      return Behaviors.receive(Object.class)
          .onMessage(AllDeadLetters.class, dead -> answer(dead.message()))
          .onMessage(UnhandledMessage.class, unhandled -> answer(unhandled.getMessage()))
          .build();
    });
  }

  private static Behavior<Object> answer(Object message) {
    if (message instanceof AllDeadLetters inner) {
      return answer(inner.message()); // a Dropped sent to dead letters arrives wrapped in a DeadLetter
    }
    Object command = message instanceof ShardingEnvelope<?> envelope ? envelope.message() : message;
    if (command instanceof RangeShardCommand.KvCommand kv && kv.replyTo() != null) {
      kv.replyTo().tell(new KvReply.HandedOff());
    }
    return Behaviors.same();
  }
}
