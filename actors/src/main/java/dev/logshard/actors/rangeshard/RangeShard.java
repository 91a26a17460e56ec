package dev.logshard.actors.rangeshard;

import dev.logshard.actors.rangeshard.RangeShardCommand.ApplyBatch;
import dev.logshard.actors.rangeshard.RangeShardCommand.Delete;
import dev.logshard.actors.rangeshard.RangeShardCommand.Get;
import dev.logshard.actors.rangeshard.RangeShardCommand.PlacementResolved;
import dev.logshard.actors.rangeshard.RangeShardCommand.Put;
import dev.logshard.actors.rangeshard.RangeShardCommand.ReadAt;
import dev.logshard.actors.rangeshard.RangeShardCommand.ReadLocal;
import dev.logshard.actors.rangeshard.RangeShardCommand.ResolveAgain;
import dev.logshard.actors.rangeshard.RangeShardCommand.Step;
import dev.logshard.actors.support.LogPurger;
import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.RangeShardDraft;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.shard.RangeShardLogic;
import dev.logshard.core.shard.RangeShardSnapshot;
import dev.logshard.core.shard.RangeShardState;
import dev.logshard.core.shard.SnapshotPolicy;
import dev.logshard.core.shard.StepOutcome;
import dev.logshard.persistence.LogInstance;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotMetadata;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The persistent range generation ({@code rangeId.generation}): its keys, values and versions,
 * journaled to the log instance its placement names. A shell: what is served, held or refused, the
 * read ramp and every transfer step are {@link RangeShardLogic}'s decisions, writes are
 * {@link RangeShardDraft}'s, snapshots {@link SnapshotPolicy}'s; this class persists, replies,
 * holds and releases commands.
 *
 * <p>Lifecycle: started by its {@link RangeShardEntity} once placed, behind its
 * {@link RangeShardBatcher}; it recovers from its latest snapshot plus the events after it, serves
 * commands, and is passivated when idle. A key outside its range is answered with
 * {@link KvReply.WrongRange}, never stored.
 */
public final class RangeShard extends OnLogInstance<RangeShardCommand, RangeShardEvent, RangeShardState> {

  private final ActorContext<RangeShardCommand> ctx;
  private final RangePlacement placement;
  private final RangeSizes.Size size;
  private final Function<String, RecipientRef<RangeShardCommand>> peers;
  private final RangeShardLogic logic;
  private final SnapshotPolicy snapshots;
  private final SplittableRandom random = new SplittableRandom();
  /** The latest snapshot this incarnation completed; older ones are deleted after the next. */
  private long lastSnapshotSeqNr;
  private final boolean deleteEvents;
  /** A client batch's answer past this is cut ({@link KvReply.TooLarge}): it is one remote message. */
  private final long maxBatchBytes;
  private final long holdDeletesNanos;
  /** When this range last took a transfer step (or started: a restart may be in the middle of one). */
  private long lastTransferStepNanos = System.nanoTime();

  /** The range on its log instance's plugins ({@code instance} null: the default plugins). */
  public static Behavior<RangeShardCommand> create(RangePlacement placement, LogInstance instance,
      LogShardSettings settings, RangeSizes sizes) {
    return Behaviors.setup(ctx -> new RangeShard(ctx, placement, Plugins.of(instance), settings,
        sizes.of(placement.entityId())));
  }

  /** On the default plugins, without batcher (tests, embedding). */
  public static Behavior<RangeShardCommand> create(RangePlacement placement, LogShardSettings settings) {
    return create(placement, null, settings, new RangeSizes());
  }

  /** The same behind its batcher, as sharding runs it. */
  public static Behavior<RangeShardCommand> createBatched(RangePlacement placement, LogShardSettings settings) {
    return RangeShardBatcher.create(create(placement, settings), settings);
  }

  private RangeShard(ActorContext<RangeShardCommand> ctx, RangePlacement placement, Plugins plugins,
      LogShardSettings settings, RangeSizes.Size size) {
    super(RangeShardEntity.persistenceId(placement.entityId()), plugins);
    this.ctx = ctx;
    this.placement = placement;
    this.size = size;
    this.peers = entityId -> ClusterSharding.get(ctx.getSystem()).entityRefFor(RangeShardEntity.ENTITY_KEY, entityId);
    this.logic = new RangeShardLogic(placement);
    this.snapshots = new SnapshotPolicy(settings.snapshotEveryEvents(), settings.snapshotAfterBytes());
    this.deleteEvents = settings.deleteEventsOnSnapshot();
    this.maxBatchBytes = settings.maxBatchBytesPerRange();
    this.holdDeletesNanos = settings.holdDeletesAfterTransferStep().toNanos();
  }

  @Override
  public RangeShardState emptyState() {
    return new RangeShardState();
  }

  @Override
  public CommandHandlerWithReply<RangeShardCommand, RangeShardEvent, RangeShardState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Get.class, this::onGet)
        .onCommand(ReadLocal.class, this::onReadLocal)
        .onCommand(ReadAt.class, this::onReadAt)
        .onCommand(Put.class, this::onPut)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(ApplyBatch.class, this::onApplyBatch)
        .onCommand(Step.class, this::onStep)
        .onCommand(PlacementResolved.class, (state, cmd) -> Effect().noReply())
        .onCommand(ResolveAgain.class, (state, cmd) -> Effect().noReply())
        // After the writes before it (commands that came while one persisted wait for it, in order).
        .onCommand(RangeShardCommand.HandOff.class, (state, cmd) -> Effect().stop().thenNoReply())
        .build();
  }

  // --- the data path: one write path for single commands and batches

  private ReplyEffect<RangeShardEvent, RangeShardState> onGet(RangeShardState state, Get cmd) {
    if (logic.admit(state, false) == RangeShardLogic.Admission.SERVE) {
      RangePlacement destination = logic.redirectRead(cmd.key(), random.nextDouble());
      if (destination != null) {
        // Served there only once it has applied everything acknowledged here (read-your-writes).
        peers.apply(destination.entityId()).tell(new ReadAt(cmd.key(), placement.entityId(),
            lastSequenceNumber(ctx), ctx.getSelf(), cmd.replyTo()));
        return Effect().noReply();
      }
    }
    return apply(state, List.of(Operation.get(cmd.key())), cmd.replyTo(), false);
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onReadLocal(RangeShardState state, ReadLocal cmd) {
    return apply(state, List.of(Operation.get(cmd.key())), cmd.replyTo(), false);
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onReadAt(RangeShardState state, ReadAt cmd) {
    if (!logic.servesReadAt(state, cmd.sourceEntityId(), cmd.minSeqNr())) {
      cmd.source().tell(new ReadLocal(cmd.key(), cmd.replyTo())); // lagging: the source answers
      return Effect().noReply();
    }
    return apply(state, List.of(Operation.get(cmd.key())), cmd.replyTo(), false);
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onPut(RangeShardState state, Put cmd) {
    return apply(state, List.of(Operation.put(cmd.key(), cmd.value(), cmd.expect())), cmd.replyTo(), false);
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onDelete(RangeShardState state, Delete cmd) {
    return apply(state, List.of(Operation.delete(cmd.key(), cmd.expect())), cmd.replyTo(), false);
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onApplyBatch(RangeShardState state, ApplyBatch cmd) {
    return apply(state, cmd.operations(), cmd.replyTo(), true);
  }

  /**
   * Applies the operations in order, atomically (their events are persisted as one write), and
   * answers one reply ({@code batch}: a {@link KvReply.Batch} of one per operation). Refused once
   * handed off; writes are held while fenced (a fence is short; clients see latency).
   */
  private ReplyEffect<RangeShardEvent, RangeShardState> apply(RangeShardState state, List<Operation> operations,
      ActorRef<KvReply> replyTo, boolean batch) {
    boolean writes = operations.stream().anyMatch(op -> op.kind() != Operation.Kind.GET);
    switch (logic.admit(state, writes)) {
      case WRONG_RANGE:
        return Effect().reply(replyTo, logic.wrongRange(state));
      case HOLD:
        return Effect().stash();
      default:
        break;
    }
    RangeShardDraft draft = new RangeShardDraft(state, placement.range(), placement.entityId());
    List<KvReply> results = operations.stream().map(draft::apply).toList();
    KvReply reply = batch
        ? KvReply.fitted(new KvReply.Batch(results), maxBatchBytes)
        : results.get(0);
    List<RangeShardEvent> events = draft.events();
    if (events.isEmpty()) {
      return Effect().reply(replyTo, reply);
    }
    return Effect().persist(events)
        .thenRun(newState -> persisted(newState, events))
        .thenReply(replyTo, newState -> reply);
  }

  // --- transfer steps: the logic decides, this persists and answers

  private ReplyEffect<RangeShardEvent, RangeShardState> onStep(RangeShardState state, Step cmd) {
    lastTransferStepNanos = System.nanoTime();
    StepOutcome outcome = logic.onStep(state, cmd.step(), lastSequenceNumber(ctx));
    if (outcome.early() != null) {
      cmd.replyTo().tell(outcome.early()); // nothing is persisted in between: commands wait for this persist
    }
    if (outcome.next() != null) {
      ctx.getSelf().tell(new Step(outcome.next(), cmd.replyTo()));
    }
    RangeShardEvent event = outcome.event();
    EffectBuilder<RangeShardEvent, RangeShardState> effect = event == null
        ? Effect().none()
        : Effect().persist(event).thenRun(newState -> persisted(newState, List.of(event)));
    if (outcome.stops()) {
      effect = effect.thenStop();
    }
    ReplyEffect<RangeShardEvent, RangeShardState> reply = outcome.answer() == null
        ? effect.thenNoReply()
        : effect.thenReply(cmd.replyTo(), newState -> outcome.answer().of(newState, lastSequenceNumber(ctx)));
    // The fence ended (un-fenced, or handed off): the writes it held are handled now.
    return outcome.releasesHeld() ? reply.thenUnstashAll() : reply;
  }

  private void persisted(RangeShardState newState, List<RangeShardEvent> events) {
    size.update(newState.keyCount(), newState.storedBytes());
    logic.persisted(events, lastSequenceNumber(ctx));
  }

  // --- recovery and snapshots

  /** Reports the recovered size, so the profiler knows it before the first write. */
  @Override
  public SignalHandler<RangeShardState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          size.update(state.keyCount(), state.storedBytes());
          ctx.getLog().debug("RangeShard [{}] recovered {} keys in {} ms", placement.entityId(), state.keyCount(),
              (System.nanoTime() - lastTransferStepNanos) / 1_000_000);
        })
        .onSignal(SnapshotCompleted.class, (state, completed) -> onSnapshotCompleted(completed.metadata()))
        .build();
  }

  @Override
  public EventHandler<RangeShardState, RangeShardEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(RangeShardState::apply);
  }

  @Override
  public boolean shouldSnapshot(RangeShardState state, RangeShardEvent event, long sequenceNr) {
    return snapshots.shouldSnapshot(state, event);
  }

  /**
   * The two latest snapshots are kept: the one before the previous is deleted, and with it the
   * events the previous one covers, unless a transfer may still read them (its catch-up reads this
   * range's events: a step in the last {@code hold-deletes-after-transfer-step}).
   */
  private void onSnapshotCompleted(SnapshotMetadata metadata) {
    if (lastSnapshotSeqNr > 0) {
      boolean events = deleteEvents && System.nanoTime() - lastTransferStepNanos >= holdDeletesNanos;
      Adapter.actorOf(ctx, events
          ? LogPurger.coveredBy(metadata.persistenceId(), plugins(), lastSnapshotSeqNr, null)
          : LogPurger.snapshotsBefore(metadata.persistenceId(), plugins(), lastSnapshotSeqNr, null));
    }
    lastSnapshotSeqNr = metadata.sequenceNr();
  }

  @Override
  public SnapshotAdapter<RangeShardState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(RangeShardState state) {
        return state.toSnapshot();
      }

      @Override
      public RangeShardState fromJournal(Object from) {
        return RangeShardState.fromSnapshot((RangeShardSnapshot) from);
      }
    };
  }
}
