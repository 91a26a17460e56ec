package dev.logshard.actors.rangeshard;

import dev.logshard.actors.rangeshard.RangeShardCommand.ApplyBatch;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.TransferStep;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The sharded entity of one range generation: a thin front of its persistent {@link RangeShard}.
 *
 * <p>Why: while a RangeShard persists, Pekko stashes every other command, then persists the next
 * one alone, so a range could commit at most one write per journal round trip. The batcher queues
 * the commands that arrive meanwhile and hands them over as one {@link ApplyBatch} (group commit):
 * one batch in flight, applied in arrival order, so reads still see every earlier write. A read with
 * nothing queued ahead of it goes straight to the RangeShard. Replies go to each command's sender.
 * The queue is bounded ({@code batching.max-queued-operations} and {@code -bytes}): past it a
 * command is answered {@link KvReply.Overloaded} at once, not applied.
 *
 * <p>Lifecycle: started and passivated by Cluster Sharding with its RangeShard as child. Sharding's
 * stop message ({@link RangeShardCommand.HandOff}: a hand-off to another node, a passivation) is
 * passed to the child after the batch in flight; queued and later commands are answered
 * {@link KvReply.HandedOff} (not applied: routers send them again, to where the generation runs
 * next), and the batcher stops once the child has and the batch's reply is out. If the child stops
 * otherwise (a journal failure), so does the batcher, and sharding starts both on the next
 * command. The batch in flight when the child stops gets no reply (it may have been written: the
 * senders' asks time out, HTTP 503); queued commands are answered WrongRange, so routers resend them.
 */
final class RangeShardBatcher extends AbstractBehavior<Object> {

  /** The child's answer to the batch in flight. */
  private record BatchApplied(KvReply reply) {}

  /** A queued command, its operations and value bytes (counted once, on arrival), and when it arrived. */
  private record Queued(RangeShardCommand.KvCommand command, List<Operation> ops, long bytes, long atNanos) {}

  private final ActorRef<RangeShardCommand> shard;
  private final ActorRef<KvReply> batchReplies;
  private final LogShardSettings settings;
  private List<Queued> pending = new ArrayList<>();
  /** Operations and value bytes in {@link #pending} (bounded: backpressure). */
  private int pendingOperations;
  private long pendingBytes;
  /** The commands of the batch the child is applying; null when none is. */
  private List<RangeShardCommand.KvCommand> inFlight;
  /** A Transfer discards this generation: nothing more is sent to the RangeShard. */
  private boolean discarding;
  /** Sharding stops this generation: nothing more is sent to the RangeShard. */
  private boolean handingOff;

  /** Sent to itself once the child stopped during a hand-off: after the batch's reply, if one is due. */
  private enum Stop { INSTANCE }

  static Behavior<RangeShardCommand> create(Behavior<RangeShardCommand> rangeShard, LogShardSettings settings) {
    return Behaviors.<Object>setup(ctx -> new RangeShardBatcher(ctx, rangeShard, settings)).narrow();
  }

  private RangeShardBatcher(ActorContext<Object> ctx, Behavior<RangeShardCommand> rangeShard, LogShardSettings settings) {
    super(ctx);
    this.shard = ctx.spawn(rangeShard, "log");
    this.settings = settings;
    // Not ctx.ask: its javadsl form continues on the JDK's default executor, which on 2 cores
    // starts a thread per call (see Stages). The child answers batches in order and stops if a
    // journal write fails, so the one batch in flight needs no timer.
    this.batchReplies = ctx.messageAdapter(KvReply.class, BatchApplied::new);
    ctx.watch(shard);
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(RangeShardCommand.class, this::onCommand)
        .onMessage(BatchApplied.class, this::onBatchApplied)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onSignal(Terminated.class, this::onShardStopped)
        .build();
  }

  private Behavior<Object> onCommand(RangeShardCommand command) {
    if (command == RangeShardCommand.HandOff.INSTANCE || handingOff) {
      return onHandOff(command);
    }
    if (command instanceof RangeShardCommand.Step step && step.step() instanceof TransferStep.Discard) {
      // The RangeShard stops after what it was sent; queued and later commands go elsewhere.
      discarding = true;
      pending.forEach(queued -> queued.command().replyTo().tell(wrongRange()));
      pending = new ArrayList<>();
      pendingOperations = 0;
      pendingBytes = 0;
      shard.tell(command);
      return this;
    }
    if (discarding && command instanceof RangeShardCommand.KvCommand kv) {
      kv.replyTo().tell(wrongRange());
      return this;
    }
    if (!batchable(command)) {
      shard.tell(command); // Transfer steps and reads routed by a Transfer are not batched
      return this;
    }
    if (command instanceof RangeShardCommand.Get && pending.isEmpty()) {
      // Nothing queued ahead of it: the child's mailbox orders it after the batch in flight, so
      // it is answered right after that commit instead of waiting for the next batch's.
      shard.tell(command);
      return this;
    }
    RangeShardCommand.KvCommand kv = (RangeShardCommand.KvCommand) command;
    List<Operation> ops = operations(kv);
    long bytes = valueBytes(ops);
    if (!pending.isEmpty() && (pendingOperations + ops.size() > settings.maxQueuedOperations()
        || pendingBytes + bytes > settings.maxQueuedBytes())) {
      kv.replyTo().tell(new KvReply.Overloaded()); // refused at once, not applied
      return this;
    }
    pending.add(new Queued(kv, ops, bytes, System.nanoTime()));
    pendingOperations += ops.size();
    pendingBytes += bytes;
    if (inFlight == null) {
      sendBatch();
    }
    return this;
  }

  /**
   * The hand-off, and whatever comes after it: queued and later commands never reach the RangeShard
   * (answered HandedOff); the stop message follows the batch in flight to the child.
   */
  private Behavior<Object> onHandOff(RangeShardCommand command) {
    if (command instanceof RangeShardCommand.KvCommand kv) {
      kv.replyTo().tell(new KvReply.HandedOff());
      return this;
    }
    if (command != RangeShardCommand.HandOff.INSTANCE || handingOff) {
      return this; // a Transfer's step: its saga sends it again, to where the generation runs next
    }
    handingOff = true;
    pending.forEach(queued -> queued.command().replyTo().tell(new KvReply.HandedOff()));
    pending = new ArrayList<>();
    pendingOperations = 0;
    pendingBytes = 0;
    shard.tell(command);
    return this;
  }

  private Behavior<Object> onBatchApplied(BatchApplied applied) {
    reply(inFlight, applied.reply(), settings.maxBatchBytesPerRange());
    inFlight = null;
    if (!pending.isEmpty()) {
      sendBatch();
    }
    return this;
  }

  /**
   * The queued commands never reached the RangeShard, so they are answered WrongRange and their
   * routers send them again (to the next incarnation, or to the generation that replaced this one
   * after a Transfer). The batch in flight gets no reply: it may or may not have been written.
   */
  private Behavior<Object> onShardStopped(Terminated terminated) {
    if (handingOff) {
      // The child answered its last batch before it stopped; that reply may still be queued here.
      getContext().getSelf().tell(Stop.INSTANCE);
      return this;
    }
    if (inFlight != null || !pending.isEmpty()) {
      getContext().getLog().warn("RangeShard {} stopped: {} queued commands are sent back, {} in flight get no reply",
          entityId(), pending.size(), inFlight == null ? 0 : inFlight.size());
    }
    pending.forEach(queued -> queued.command().replyTo().tell(wrongRange()));
    return Behaviors.stopped();
  }

  private KvReply wrongRange() {
    return new KvReply.WrongRange(entityId(), 0);
  }

  private String entityId() {
    return java.net.URLDecoder.decode(getContext().getSelf().path().name(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Sends the queue's head, up to the batch limits (a single command always goes). A command queued
   * longer than the ask timeout is dropped, never applied late: its sender has already answered
   * "no reply in time" (for a write, outcome unknown).
   */
  private void sendBatch() {
    List<RangeShardCommand.KvCommand> batch = new ArrayList<>();
    List<Operation> operations = new ArrayList<>();
    long bytes = 0;
    int taken = 0;
    int expired = 0;
    long expiredBefore = System.nanoTime() - settings.askTimeout().toNanos();
    for (Queued queued : pending) {
      List<Operation> ops = queued.ops();
      long commandBytes = queued.bytes();
      if (queued.atNanos() < expiredBefore) {
        pendingOperations -= ops.size();
        pendingBytes -= commandBytes;
        expired++;
        taken++;
        continue;
      }
      if (!batch.isEmpty() && (operations.size() + ops.size() > settings.batchMaxOperations()
          || bytes + commandBytes > settings.batchMaxBytes())) {
        break;
      }
      batch.add(queued.command());
      operations.addAll(ops);
      bytes += commandBytes;
      taken++;
    }
    pending = taken == pending.size() ? new ArrayList<>() : new ArrayList<>(pending.subList(taken, pending.size()));
    pendingOperations -= operations.size();
    pendingBytes -= bytes;
    if (expired > 0) {
      getContext().getLog().debug("RangeShard {} dropped {} commands queued longer than the ask timeout", entityId(), expired);
    }
    if (batch.isEmpty()) {
      inFlight = null;
      return;
    }
    inFlight = batch;
    shard.tell(new ApplyBatch(List.copyOf(operations), batchReplies));
  }

  private static long valueBytes(List<Operation> ops) {
    return ops.stream().mapToLong(op -> op.value() == null ? 0 : op.value().length).sum();
  }

  private static boolean batchable(RangeShardCommand command) {
    return command instanceof RangeShardCommand.Get || command instanceof RangeShardCommand.Put
        || command instanceof RangeShardCommand.Delete || command instanceof ApplyBatch;
  }

  private static List<Operation> operations(RangeShardCommand command) {
    if (command instanceof RangeShardCommand.Get get) {
      return List.of(Operation.get(get.key()));
    }
    if (command instanceof RangeShardCommand.Put put) {
      return List.of(Operation.put(put.key(), put.value(), put.expect()));
    }
    if (command instanceof RangeShardCommand.Delete delete) {
      return List.of(Operation.delete(delete.key(), delete.expect()));
    }
    return ((ApplyBatch) command).operations();
  }

  /**
   * Splits the batch's results back to the commands, in order; a client batch's values past
   * {@code maxBytes} are answered {@link KvReply.TooLarge} (its answer is one remote message).
   */
  private static void reply(List<RangeShardCommand.KvCommand> commands, KvReply reply, long maxBytes) {
    if (!(reply instanceof KvReply.Batch batch)) {
      commands.forEach(c -> c.replyTo().tell(reply)); // WrongRange for the whole batch
      return;
    }
    int next = 0;
    for (RangeShardCommand.KvCommand command : commands) {
      if (command instanceof ApplyBatch own) {
        int n = own.operations().size();
        command.replyTo().tell(KvReply.fitted(new KvReply.Batch(List.copyOf(batch.results().subList(next, next + n))),
            maxBytes));
        next += n;
      } else {
        command.replyTo().tell(batch.results().get(next++));
      }
    }
  }
}
