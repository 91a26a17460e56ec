package dev.logshard.actors;

import dev.logshard.actors.RangeShardCommand.ApplyBatch;
import dev.logshard.actors.RangeShardCommand.ApplyChanges;
import dev.logshard.actors.RangeShardCommand.Delete;
import dev.logshard.actors.RangeShardCommand.DescribeLog;
import dev.logshard.actors.RangeShardCommand.Discard;
import dev.logshard.actors.RangeShardCommand.Fence;
import dev.logshard.actors.RangeShardCommand.Follow;
import dev.logshard.actors.RangeShardCommand.Get;
import dev.logshard.actors.RangeShardCommand.HandOff;
import dev.logshard.actors.RangeShardCommand.KvCommand;
import dev.logshard.actors.RangeShardCommand.OpenExport;
import dev.logshard.actors.RangeShardCommand.PlacementResolved;
import dev.logshard.actors.RangeShardCommand.Put;
import dev.logshard.actors.RangeShardCommand.ReadAt;
import dev.logshard.actors.RangeShardCommand.ReadExport;
import dev.logshard.actors.RangeShardCommand.ReadLocal;
import dev.logshard.actors.RangeShardCommand.RedirectReads;
import dev.logshard.actors.RangeShardCommand.ResolveAgain;
import dev.logshard.actors.RangeShardCommand.TransferCommand;
import dev.logshard.actors.RangeShardCommand.Unfence;
import dev.logshard.actors.RangeShardEvent.Change;
import dev.logshard.actors.RangeShardEvent.ChangesApplied;
import dev.logshard.actors.RangeShardEvent.SourceHandedOff;
import dev.logshard.actors.RangeShardEvent.SourceUnfenced;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.persistence.LogInstances;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotMetadata;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The persistent entity that owns one range generation ({@code rangeId.generation}): its keys,
 * values and versions, journaled to the log instance its placement names.
 *
 * <p>Lifecycle: Cluster Sharding starts it, behind its {@link RangeShardBatcher}, on the first
 * command for its entity id (one entity per shard, so every range can be placed alone); it recovers from its latest snapshot plus the events
 * after it, serves commands, and is passivated when idle. A key outside its range is answered with
 * {@link KvReply.WrongRange}, never stored.
 */
public final class RangeShard
    extends EventSourcedBehaviorWithEnforcedReplies<RangeShardCommand, RangeShardEvent, RangeShardState> {

  public static final EntityTypeKey<RangeShardCommand> ENTITY_KEY =
      EntityTypeKey.create(RangeShardCommand.class, "RangeShard");

  private final ActorContext<RangeShardCommand> ctx;
  private final RangePlacement placement;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final LogShardSettings settings;
  private final RangeSizes.Size size;
  private final Function<String, RecipientRef<RangeShardCommand>> peers;
  private final SplittableRandom random = new SplittableRandom();
  private long bytesSinceSnapshot;
  private long eventsSinceSnapshot;
  /** The latest snapshot this incarnation completed; older ones are deleted after the next. */
  private long lastSnapshotSeqNr;
  // Transfer state that is not persisted: a crash ends the export and the redirection, and the
  // saga starts them again (or rolls back).
  private Export export;
  private Redirect redirect;
  private long reads;
  private long redirectedReads;
  /** The epoch of a hand-off received but not persisted yet (it is answered as if it were). */
  private long handingOffEpoch;
  /** The latest events' changes, kept while a transfer follows this source (null otherwise). */
  private RecentChanges recent;
  private static final int RECENT_EVENTS = 4096;
  private static final long RECENT_BYTES = 1L << 20;

  /** A point-in-time copy of the entries, read in chunks by a Transfer. */
  private record Export(String transferId, long seqNr, List<RangeShardSnapshot.Entry> entries) {}

  /** The fraction of single-key reads sent on to the destinations of a transfer. */
  private record Redirect(String transferId, double fraction, List<RangePlacement> destinations) {}

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(
      ActorSystem<?> system,
      PlacementDirectory directory,
      LogInstances logInstances,
      LogShardSettings settings,
      RangeSizes sizes) {
    // Where a shard has a recorded location (a transfer to a named node) it runs there; any other
    // starts on the node that first sends it a message.
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), directory, logInstances, settings, sizes))
            .withMessageExtractor(new OneEntityPerShard())
            .withAllocationStrategy(ExternalShardAllocationStrategy.create(system, ENTITY_KEY.name(), settings.askTimeout())));
  }

  /** Records the node a shard is to run on, for the allocation strategy above. */
  public static ExternalShardAllocationClient allocation(ActorSystem<?> system) {
    return ExternalShardAllocation.get(system).getClient(ENTITY_KEY.name());
  }

  /** The shard that holds an entity: itself (see {@link OneEntityPerShard}). */
  public static String shardId(String entityId) {
    return entityId;
  }

  /**
   * The sharded entity for {@code entityId}: it asks the directory for its placement (holding
   * commands meanwhile), then runs its RangeShard behind a {@link RangeShardBatcher}; an unplaced
   * id only answers WrongRange.
   */
  public static Behavior<RangeShardCommand> create(
      String entityId,
      PlacementDirectory directory,
      LogInstances logInstances,
      LogShardSettings settings,
      RangeSizes sizes) {
    return Behaviors.setup(ctx -> Behaviors.withStash(settings.startStashCapacity(), stash ->
        Behaviors.withTimers(timers -> {
          ActorRef<PlacementDirectory.Placement> adapter =
              ctx.messageAdapter(PlacementDirectory.Placement.class, PlacementResolved::new);
          directory.resolve(entityId, adapter);
          // The coordinator may be moving to another node: ask again until it answers.
          timers.startTimerWithFixedDelay(ResolveAgain.INSTANCE, settings.askTimeout());
          return Behaviors.receive(RangeShardCommand.class)
              .onMessage(PlacementResolved.class, resolved -> {
                timers.cancelAll();
                RangePlacement placement = resolved.placement().placement();
                if (placement == null || !placement.entityId().equals(entityId)) {
                  ctx.getLog().info("RangeShard [{}] is not placed at epoch {}: answering WrongRange",
                      entityId, resolved.placement().epoch());
                  return stash.unstashAll(unplaced(entityId, resolved.placement().epoch()));
                }
                var instance = logInstances.get(placement.logInstance());
                Behavior<RangeShardCommand> shard = Behaviors.setup(shardCtx -> new RangeShard(shardCtx, placement,
                    instance.journalPluginId(), instance.snapshotPluginId(), settings, sizes.of(placement.entityId()),
                    shardingPeers(shardCtx)));
                return stash.unstashAll(settings.batching() ? RangeShardBatcher.create(shard, settings) : shard);
              })
              .onMessageEquals(ResolveAgain.INSTANCE, () -> {
                directory.resolve(entityId, adapter);
                return Behaviors.same();
              })
              .onAnyMessage(command -> {
                stash.stash(command);
                return Behaviors.same();
              })
              .build();
        })));
  }

  /** A RangeShard on the default journal and snapshot plugins, without batcher (tests, embedding). */
  public static Behavior<RangeShardCommand> create(RangePlacement placement, LogShardSettings settings) {
    return create(placement, settings, new RangeSizes());
  }

  /** The same, reporting its size to {@code sizes}. */
  public static Behavior<RangeShardCommand> create(RangePlacement placement, LogShardSettings settings, RangeSizes sizes) {
    return Behaviors.setup(ctx ->
        new RangeShard(ctx, placement, "", "", settings, sizes.of(placement.entityId()), shardingPeers(ctx)));
  }

  /** The same behind its batcher, as sharding runs it. */
  public static Behavior<RangeShardCommand> createBatched(RangePlacement placement, LogShardSettings settings) {
    return RangeShardBatcher.create(create(placement, settings), settings);
  }

  private static Function<String, RecipientRef<RangeShardCommand>> shardingPeers(ActorContext<?> ctx) {
    return entityId -> ClusterSharding.get(ctx.getSystem()).entityRefFor(ENTITY_KEY, entityId);
  }

  private RangeShard(ActorContext<RangeShardCommand> ctx, RangePlacement placement, String journalPluginId,
      String snapshotPluginId, LogShardSettings settings, RangeSizes.Size size,
      Function<String, RecipientRef<RangeShardCommand>> peers) {
    super(PersistenceId.of(ENTITY_KEY.name(), placement.entityId()));
    this.ctx = ctx;
    this.placement = placement;
    this.journalPluginId = journalPluginId;
    this.snapshotPluginId = snapshotPluginId;
    this.settings = settings;
    this.size = size;
    this.peers = peers;
  }

  @Override
  public String journalPluginId() {
    return journalPluginId;
  }

  @Override
  public String snapshotPluginId() {
    return snapshotPluginId;
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
        .onCommand(ReadLocal.class, (state, cmd) -> handedOffEpoch(state) > 0
            ? Effect().reply(cmd.replyTo(), wrongRange(state))
            : decide(state, Operation.get(cmd.key()), cmd.replyTo()))
        .onCommand(ReadAt.class, this::onReadAt)
        .onCommand(Put.class, (state, cmd) ->
            write(state, Operation.put(cmd.key(), cmd.value(), cmd.expect()), cmd.replyTo()))
        .onCommand(Delete.class, (state, cmd) ->
            write(state, Operation.delete(cmd.key(), cmd.expect()), cmd.replyTo()))
        .onCommand(ApplyBatch.class, this::onApplyBatch)
        .onCommand(OpenExport.class, this::onOpenExport)
        .onCommand(ReadExport.class, this::onReadExport)
        .onCommand(DescribeLog.class, this::onDescribeLog)
        .onCommand(RedirectReads.class, this::onRedirectReads)
        .onCommand(Fence.class, this::onFence)
        .onCommand(Unfence.class, this::onUnfence)
        .onCommand(HandOff.class, this::onHandOff)
        .onCommand(RangeShardCommand.PersistHandOff.class, (state, cmd) ->
            carryOut(state, TransferSteps.handOff(state, placement.entityId(), cmd.transferId(), cmd.epoch()), cmd.replyTo()))
        .onCommand(Follow.class, this::onFollow)
        .onCommand(ApplyChanges.class, this::onApplyChanges)
        .onCommand(Discard.class, this::onDiscard)
        .onCommand(PlacementResolved.class, (state, cmd) -> Effect().noReply())
        .onCommand(ResolveAgain.class, (state, cmd) -> Effect().noReply())
        .build();
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onGet(RangeShardState state, Get cmd) {
    reads++;
    if (handedOffEpoch(state) > 0) {
      return Effect().reply(cmd.replyTo(), wrongRange(state)); // its values may be older than its successors'
    }
    if (redirect != null && random.nextDouble() < redirect.fraction()) {
      long hash = KeyHash.of(cmd.key());
      for (RangePlacement destination : redirect.destinations()) {
        if (destination.range().contains(hash)) {
          // Served there only once it has applied everything acknowledged here (read-your-writes).
          redirectedReads++;
          peers.apply(destination.entityId()).tell(new ReadAt(cmd.key(), placement.entityId(),
              lastSequenceNumber(ctx), ctx.getSelf(), cmd.replyTo()));
          return Effect().noReply();
        }
      }
    }
    return decide(state, Operation.get(cmd.key()), cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onReadAt(RangeShardState state, ReadAt cmd) {
    if (state.appliedFrom(cmd.sourceEntityId()) < cmd.minSeqNr()) {
      cmd.source().tell(new ReadLocal(cmd.key(), cmd.replyTo())); // lagging: the source answers
      return Effect().noReply();
    }
    return decide(state, Operation.get(cmd.key()), cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onApplyBatch(RangeShardState state, ApplyBatch cmd) {
    if (handedOffEpoch(state) > 0) {
      return Effect().reply(cmd.replyTo(), wrongRange(state));
    }
    if (state.fencedBy() != null && cmd.operations().stream().anyMatch(op -> op.kind() != Operation.Kind.GET)) {
      return Effect().stash();
    }
    RangeShardDraft draft = new RangeShardDraft(state, placement.range(), placement.entityId());
    List<KvReply> results = cmd.operations().stream().map(draft::apply).toList();
    return persistAndReply(draft, cmd.replyTo(), new KvReply.Batch(results));
  }

  /** A write: refused once handed off, held while fenced (a fence is short; clients see latency). */
  private ReplyEffect<RangeShardEvent, RangeShardState> write(
      RangeShardState state, Operation op, ActorRef<KvReply> replyTo) {
    if (handedOffEpoch(state) > 0) {
      return Effect().reply(replyTo, wrongRange(state));
    }
    if (state.fencedBy() != null) {
      return Effect().stash();
    }
    return decide(state, op, replyTo);
  }

  private KvReply wrongRange(RangeShardState state) {
    return new KvReply.WrongRange(placement.entityId(), handedOffEpoch(state));
  }

  /** The epoch this generation handed off at, persisted or only received (0: it owns its range). */
  private long handedOffEpoch(RangeShardState state) {
    return state.handedOffEpoch() > 0 ? state.handedOffEpoch() : handingOffEpoch;
  }

  // --- source side of a Transfer

  private ReplyEffect<RangeShardEvent, RangeShardState> onOpenExport(RangeShardState state, OpenExport cmd) {
    TransferReply refusal = TransferSteps.refusalToExport(state, placement.entityId());
    if (refusal != null) {
      return Effect().reply(cmd.replyTo(), refusal);
    }
    export = new Export(cmd.transferId(), lastSequenceNumber(ctx), state.exportEntries());
    return Effect().reply(cmd.replyTo(), new TransferReply.ExportOpened(placement.entityId(),
        lastSequenceNumber(ctx), state.keyCount(), state.storedBytes(), state.lastVersion()));
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onReadExport(RangeShardState state, ReadExport cmd) {
    if (export == null || !export.transferId().equals(cmd.transferId())) {
      return Effect().reply(cmd.replyTo(),
          TransferSteps.refused(placement.entityId(), ReadExport.class, "no open export for transfer " + cmd.transferId()));
    }
    return Effect().reply(cmd.replyTo(),
        TransferSteps.chunk(placement.entityId(), export.seqNr(), export.entries(), cmd.from(), cmd.maxBytes()));
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onDescribeLog(RangeShardState state, DescribeLog cmd) {
    if (recent == null && handedOffEpoch(state) == 0) {
      recent = new RecentChanges(RECENT_EVENTS, RECENT_BYTES); // a transfer catches up with this source
    }
    return Effect().reply(cmd.replyTo(), position());
  }

  private TransferReply position() {
    return new TransferReply.LogPosition(placement.entityId(), lastSequenceNumber(ctx), redirectedReads, reads);
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onRedirectReads(RangeShardState state, RedirectReads cmd) {
    redirect = cmd.fraction() > 0 && handedOffEpoch(state) == 0
        ? new Redirect(cmd.transferId(), Math.min(1.0, cmd.fraction()), cmd.destinations())
        : null;
    return Effect().reply(cmd.replyTo(), position());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onFence(RangeShardState state, Fence cmd) {
    TransferSteps.Outcome outcome = TransferSteps.fence(state, placement.entityId(), cmd.transferId(), cmd.tailFrom(),
        recent, lastSequenceNumber(ctx));
    if (outcome.event() != null) {
      export = null;
    }
    return carryOut(state, outcome, cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onUnfence(RangeShardState state, Unfence cmd) {
    redirect = null;
    export = null;
    recent = null;
    return carryOut(state, TransferSteps.unfence(state, placement.entityId(), cmd.transferId()), cmd.replyTo());
  }

  /**
   * The commit is persisted by the Coordinator already, and a source that restarts from now on is
   * no longer placed (it only answers WrongRange): so the writes it held get WrongRange at once, and
   * their routers re-send them to the new generation, without waiting for this hand-off to be
   * persisted, which it is right after ({@link RangeShardCommand.PersistHandOff}), before the saga
   * hears it is done. The fence ends one journal write earlier.
   */
  private ReplyEffect<RangeShardEvent, RangeShardState> onHandOff(RangeShardState state, HandOff cmd) {
    redirect = null;
    export = null;
    recent = null;
    if (handingOffEpoch == 0) {
      handingOffEpoch = cmd.epoch();
    }
    ctx.getSelf().tell(new RangeShardCommand.PersistHandOff(cmd.transferId(), cmd.epoch(), cmd.replyTo()));
    return Effect().noReply().thenUnstashAll();
  }

  // --- destination side of a Transfer

  private ReplyEffect<RangeShardEvent, RangeShardState> onFollow(RangeShardState state, Follow cmd) {
    return carryOut(state, TransferSteps.follow(state, placement.entityId(), cmd.transferId(), cmd.copy(), cmd.sourceEntityIds()), cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onApplyChanges(RangeShardState state, ApplyChanges cmd) {
    return carryOut(state, TransferSteps.applyChanges(state, placement.entityId(), placement.range(), cmd.transferId(),
        cmd.copy(), cmd.sourceEntityId(), cmd.upToSeqNr(), cmd.changes(), cmd.sourceLastVersion(), cmd.step()),
        cmd.replyTo());
  }

  /** Persists the step's event, if any (then held commands are handled), and answers. */
  private ReplyEffect<RangeShardEvent, RangeShardState> carryOut(RangeShardState state, TransferSteps.Outcome outcome,
      ActorRef<TransferReply> replyTo) {
    if (outcome.event() == null) {
      return Effect().reply(replyTo, outcome.answer().of(state, lastSequenceNumber(ctx)));
    }
    if (outcome.early() != null) {
      replyTo.tell(outcome.early()); // nothing is persisted in between: commands wait for this persist
    }
    var effect = Effect().persist(outcome.event())
        .thenRun(newState -> persisted(newState, List.of(outcome.event())))
        .thenReply(replyTo, newState -> outcome.answer().of(newState, lastSequenceNumber(ctx)));
    // The fence ended (un-fenced, or handed off): the writes it held are handled now.
    boolean fenceEnded = outcome.event() instanceof RangeShardEvent.SourceUnfenced
        || outcome.event() instanceof RangeShardEvent.SourceHandedOff;
    return fenceEnded ? effect.thenUnstashAll() : effect;
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onDiscard(RangeShardState state, Discard cmd) {
    return Effect().stop().thenReply(cmd.replyTo(), newState -> TransferReply.Done.of(placement.entityId(), cmd));
  }


  private ReplyEffect<RangeShardEvent, RangeShardState> decide(
      RangeShardState state, Operation op, ActorRef<KvReply> replyTo) {
    RangeShardDraft draft = new RangeShardDraft(state, placement.range(), placement.entityId());
    return persistAndReply(draft, replyTo, draft.apply(op));
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> persistAndReply(
      RangeShardDraft draft, ActorRef<KvReply> replyTo, KvReply reply) {
    List<RangeShardEvent> events = draft.events();
    if (events.isEmpty()) {
      return Effect().reply(replyTo, reply);
    }
    return Effect().persist(events)
        .thenRun(newState -> persisted(newState, events))
        .thenReply(replyTo, newState -> reply);
  }

  private void persisted(RangeShardState newState, List<RangeShardEvent> events) {
    size.update(newState.keyCount(), newState.storedBytes());
    if (recent != null) {
      recent.record(events, lastSequenceNumber(ctx));
    }
  }

  /** Reports the recovered size, so the profiler knows it before the first write. */
  @Override
  public SignalHandler<RangeShardState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> size.update(state.keyCount(), state.storedBytes()))
        .onSignal(SnapshotCompleted.class, (state, completed) -> onSnapshotCompleted(completed.metadata()))
        .build();
  }

  @Override
  public EventHandler<RangeShardState, RangeShardEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(RangeShardState::apply);
  }

  /**
   * A snapshot costs about as much as the state is large, so a large range snapshots less often:
   * after {@code every-events} events or {@code after-bytes} written, or half its key count or half
   * its stored bytes, whichever is more. Recovery then replays at most about as much as it loads,
   * and a 100 MB range no longer writes 100 MB every 1,000 events (measured: the main cause of
   * stalls while large ranges were written). The two latest snapshots are kept. A destination
   * being filled by a Transfer's snapshot copy takes none until the copy is complete.
   */
  @Override
  public boolean shouldSnapshot(RangeShardState state, RangeShardEvent event, long sequenceNr) {
    eventsSinceSnapshot++;
    if (event instanceof RangeShardEvent.ValuePut put) {
      bytesSinceSnapshot += put.value().length;
    } else if (event instanceof RangeShardEvent.ChangesApplied applied) {
      eventsSinceSnapshot += applied.changes().size(); // replay cost goes by the changes an event carries
      for (Change c : applied.changes()) {
        bytesSinceSnapshot += c.value() == null ? 0 : c.value().length;
      }
    }
    if (event instanceof RangeShardEvent.ChangesApplied applied && applied.upToSeqNr() == 0) {
      // A Transfer's snapshot copy in progress: a crash restarts it from empty, so a snapshot of a
      // half-copied state would never be used; one is taken when the copy's last chunk arrives.
      return false;
    }
    if (eventsSinceSnapshot >= Math.max(settings.snapshotEveryEvents(), state.keyCount() / 2)
        || bytesSinceSnapshot >= Math.max(settings.snapshotAfterBytes(), state.storedBytes() / 2)) {
      eventsSinceSnapshot = 0;
      bytesSinceSnapshot = 0;
      return true;
    }
    return false;
  }

  private void onSnapshotCompleted(SnapshotMetadata metadata) {
    if (lastSnapshotSeqNr > 0) {
      Adapter.actorOf(ctx, LogPurger.snapshotsBefore(metadata.persistenceId(), journalPluginId, snapshotPluginId,
          lastSnapshotSeqNr, null));
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

  /**
   * A generation the directory does not place (retired, rolled back, or never created): it never
   * recovers or writes; commands get WrongRange, reads sent on by a source go back to it, and
   * Transfer steps that undo or end something are done (there is nothing to undo).
   */
  static Behavior<RangeShardCommand> unplaced(String entityId, long epoch) {
    KvReply wrongRange = new KvReply.WrongRange(entityId, epoch);
    return Behaviors.receiveMessage(cmd -> {
      if (cmd instanceof ReadAt readAt) {
        readAt.source().tell(new ReadLocal(readAt.key(), readAt.replyTo()));
      } else if (cmd instanceof KvCommand kv) {
        kv.replyTo().tell(wrongRange);
      } else if (cmd instanceof Unfence || cmd instanceof HandOff || cmd instanceof Discard) {
        ((TransferCommand) cmd).replyTo().tell(TransferReply.Done.of(entityId, cmd));
      } else if (cmd instanceof TransferCommand step) {
        step.replyTo().tell(TransferSteps.refused(entityId, step.getClass(), "not placed at epoch " + epoch));
      }
      return Behaviors.same();
    });
  }

  /** Shard id = entity id: each range generation is its own shard, so it can be placed alone. */
  static final class OneEntityPerShard
      extends ShardingMessageExtractor<ShardingEnvelope<RangeShardCommand>, RangeShardCommand> {

    @Override
    public String entityId(ShardingEnvelope<RangeShardCommand> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return RangeShard.shardId(entityId);
    }

    @Override
    public RangeShardCommand unwrapMessage(ShardingEnvelope<RangeShardCommand> envelope) {
      return envelope.message();
    }
  }
}
