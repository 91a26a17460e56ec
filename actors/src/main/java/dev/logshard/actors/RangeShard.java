package dev.logshard.actors;

import dev.logshard.actors.RangeShardCommand.ApplyBatch;
import dev.logshard.actors.RangeShardCommand.Delete;
import dev.logshard.actors.RangeShardCommand.Get;
import dev.logshard.actors.RangeShardCommand.Put;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.persistence.LogInstances;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
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

  private final RangePlacement placement;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final LogShardSettings settings;
  private final RangeSizes.Size size;
  private long bytesSinceSnapshot;

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(
      ActorSystem<?> system,
      PlacementDirectory directory,
      LogInstances logInstances,
      LogShardSettings settings,
      RangeSizes sizes) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), directory, logInstances, settings, sizes))
            .withMessageExtractor(new OneEntityPerShard()));
  }

  /**
   * The sharded entity for {@code entityId}: its placement's RangeShard behind a
   * {@link RangeShardBatcher}; an unplaced id only answers WrongRange.
   */
  public static Behavior<RangeShardCommand> create(
      String entityId,
      PlacementDirectory directory,
      LogInstances logInstances,
      LogShardSettings settings,
      RangeSizes sizes) {
    return Behaviors.setup(ctx -> directory.placementOf(entityId)
        .<Behavior<RangeShardCommand>>map(placement -> {
          var instance = logInstances.get(placement.logInstance());
          var shard = new RangeShard(placement, instance.journalPluginId(), instance.snapshotPluginId(), settings,
              sizes.of(placement.entityId()));
          return settings.batching() ? RangeShardBatcher.create(shard, settings) : shard;
        })
        .orElseGet(() -> {
          ctx.getLog().warn("No placement for RangeShard [{}]: answering WrongRange", entityId);
          return unplaced(entityId);
        }));
  }

  /** A RangeShard on the default journal and snapshot plugins, without batcher (tests, embedding). */
  public static Behavior<RangeShardCommand> create(RangePlacement placement, LogShardSettings settings) {
    return create(placement, settings, new RangeSizes());
  }

  /** The same, reporting its size to {@code sizes}. */
  public static Behavior<RangeShardCommand> create(RangePlacement placement, LogShardSettings settings, RangeSizes sizes) {
    return new RangeShard(placement, "", "", settings, sizes.of(placement.entityId()));
  }

  /** The same behind its batcher, as sharding runs it. */
  public static Behavior<RangeShardCommand> createBatched(RangePlacement placement, LogShardSettings settings) {
    return RangeShardBatcher.create(create(placement, settings), settings);
  }

  private RangeShard(RangePlacement placement, String journalPluginId, String snapshotPluginId,
      LogShardSettings settings, RangeSizes.Size size) {
    super(PersistenceId.of(ENTITY_KEY.name(), placement.entityId()));
    this.placement = placement;
    this.journalPluginId = journalPluginId;
    this.snapshotPluginId = snapshotPluginId;
    this.settings = settings;
    this.size = size;
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
        .onCommand(Put.class, this::onPut)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(ApplyBatch.class, this::onApplyBatch)
        .build();
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onGet(RangeShardState state, Get cmd) {
    return decide(state, Operation.get(cmd.key()), cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onPut(RangeShardState state, Put cmd) {
    return decide(state, Operation.put(cmd.key(), cmd.value(), cmd.expect()), cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onDelete(RangeShardState state, Delete cmd) {
    return decide(state, Operation.delete(cmd.key(), cmd.expect()), cmd.replyTo());
  }

  private ReplyEffect<RangeShardEvent, RangeShardState> onApplyBatch(RangeShardState state, ApplyBatch cmd) {
    RangeShardDraft draft = new RangeShardDraft(state, placement.range(), placement.entityId());
    List<KvReply> results = cmd.operations().stream().map(draft::apply).toList();
    return persistAndReply(draft, cmd.replyTo(), new KvReply.Batch(results));
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
        .thenRun(newState -> size.update(newState.keyCount(), newState.storedBytes()))
        .thenReply(replyTo, newState -> reply);
  }

  /** Reports the recovered size, so the profiler knows it before the first write. */
  @Override
  public SignalHandler<RangeShardState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> size.update(state.keyCount(), state.storedBytes()))
        .build();
  }

  @Override
  public EventHandler<RangeShardState, RangeShardEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(RangeShardState::apply);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEveryEvents(), settings.snapshotsKept());
  }

  /** Snapshot also by written bytes, so that recovery of a range of large values stays short. */
  @Override
  public boolean shouldSnapshot(RangeShardState state, RangeShardEvent event, long sequenceNr) {
    if (event instanceof RangeShardEvent.ValuePut put) {
      bytesSinceSnapshot += put.value().length;
    }
    if (bytesSinceSnapshot >= settings.snapshotAfterBytes()) {
      bytesSinceSnapshot = 0;
      return true;
    }
    return false;
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

  private static Behavior<RangeShardCommand> unplaced(String entityId) {
    KvReply wrongRange = new KvReply.WrongRange(entityId);
    return Behaviors.receiveMessage(cmd -> {
      cmd.replyTo().tell(wrongRange);
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
      return entityId;
    }

    @Override
    public RangeShardCommand unwrapMessage(ShardingEnvelope<RangeShardCommand> envelope) {
      return envelope.message();
    }
  }
}
