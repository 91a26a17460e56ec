package dev.logshard.actors.coordinator;

import dev.logshard.actors.rangeshard.PlacementDirectory;
import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.profile.LoadReport;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/** The Coordinator's protocol: the ShardMap for routers and entities, and Transfers. */
public sealed interface CoordinatorCommand extends CborSerializable {

  /** Answers the current map; the first request ever also creates it from the seed. */
  record GetShardMap(ActorRef<CurrentShardMap> replyTo) implements CoordinatorCommand {}

  /** Where a starting RangeShard entity belongs (the {@link PlacementDirectory} of every node). */
  record ResolvePlacement(String entityId, ActorRef<PlacementDirectory.Placement> replyTo)
      implements CoordinatorCommand {}

  record StartTransfer(TransferRequest request, ActorRef<TransferStarted> replyTo) implements CoordinatorCommand {}

  /** From a saga whose destinations caught up with its fenced sources: persist the next epoch. */
  record CommitTransfer(String transferId, ActorRef<CurrentShardMap> replyTo) implements CoordinatorCommand {}

  /**
   * From a saga that (re)starts: whether its transfer still runs and the epoch it committed at. A
   * restarted saga learns here, not from how it was spawned, what the Coordinator decided meanwhile.
   */
  record GetTransferStatus(String transferId, ActorRef<TransferStatus> replyTo) implements CoordinatorCommand {}

  /**
   * From a saga that decided to roll back: persists that the transfer can no longer commit and
   * that its destinations are no longer placed, then answers the status (committed already: the
   * saga must go forward instead).
   */
  record RollBackTransfer(String transferId, ActorRef<TransferStatus> replyTo) implements CoordinatorCommand {}

  /** From a saga, every progress tick (not persisted). */
  record ReportProgress(TransferProgress progress) implements CoordinatorCommand {}

  /** From a saga that ended (done or rolled back). */
  record EndTransfer(TransferProgress progress, ActorRef<TransferReply> replyTo) implements CoordinatorCommand {}

  /** Rolls back a transfer that has not committed; answers whether it knew the transfer. */
  record AbortTransfer(String transferId, ActorRef<TransferList> replyTo) implements CoordinatorCommand {}

  /** Every running transfer and the most recent ended ones. */
  record ListTransfers(ActorRef<TransferList> replyTo) implements CoordinatorCommand {}

  /** A node's Profiler's load over its last tick (not persisted; the history is, see {@link ClusterLoad}). */
  record ReportLoad(LoadReport report) implements CoordinatorCommand {}

  /** The cluster-wide load view and what the load history says of each range. */
  record GetClusterLoad(ActorRef<ClusterLoad.View> replyTo) implements CoordinatorCommand {}

  /**
   * Internal: the load history arrived (null: it did not in time) and the first map can be made.
   */
  record SeedWithHistory(dev.logshard.core.profile.LoadHistory history) implements CoordinatorCommand {}

  /** The map at its epoch (also what the coordinator publishes to every node). */
  /** The planner's mode, latest rounds and decisions. */
  record GetPlan(ActorRef<Planning.View> replyTo) implements CoordinatorCommand {}

  /** Sets the planner's mode at runtime (one of {@code PlannerSettings.MODES}); answers the plan view. */
  record SetPlannerMode(String mode, ActorRef<Planning.View> replyTo) implements CoordinatorCommand {}

  /** The log instances, with their ranges and whether they are drained. */
  record GetLogInstances(ActorRef<Planning.InstancesView> replyTo) implements CoordinatorCommand {}

  /** Marks a log instance to be emptied of ranges (or no longer); answers the instances. */
  record SetDraining(String instance, boolean draining, ActorRef<Planning.InstancesView> replyTo)
      implements CoordinatorCommand {}

  /**
   * Adds a log instance at runtime (journaled; the planner fills it by its tier); answers the
   * instances, or why not ({@code conflict}: the name exists).
   */
  record AddLogInstance(CoordinatorState.AddedInstance instance,
      ActorRef<LogInstanceAdded> replyTo) implements CoordinatorCommand {}

  record LogInstanceAdded(Planning.InstancesView view, String refusal, boolean conflict) implements CborSerializable {}

  /** Marks a cluster node ({@code host:port}) to be emptied of ranges (or no longer); answers the draining nodes. */
  record SetNodeDraining(String node, boolean draining, ActorRef<DrainingNodes> replyTo)
      implements CoordinatorCommand {}

  /** The draining nodes, as {@link DrainingNodes}. */
  record GetDrainingNodes(ActorRef<DrainingNodes> replyTo) implements CoordinatorCommand {}

  /**
   * The nodes being drained, the nodes running transfers are placing ranges on, and the current
   * map's generations (a node is removable once none of them runs there).
   */
  record DrainingNodes(List<String> draining, List<String> receiving, List<String> current)
      implements CborSerializable {}

  /** Time to plan (internal, a timer). */
  /** Which of these range generations are retired (Cluster Sharding's allocation stops their shards). */
  record FindRetired(Set<String> entityIds, ActorRef<Retired> replyTo) implements CoordinatorCommand {}

  record Retired(Set<String> entityIds) implements CborSerializable {}

  enum PlanTick implements CoordinatorCommand { INSTANCE }

  /** The cluster-wide load to plan on (internal). */
  record LoadForPlanning(ClusterLoad.View view) implements CoordinatorCommand {}

  record CurrentShardMap(long epoch, List<RangePlacement> placements) implements CborSerializable {
    public static CurrentShardMap of(ShardMap map) {
      return new CurrentShardMap(map.epoch(), map.placements());
    }

    public ShardMap toShardMap() {
      return new ShardMap(epoch, placements);
    }
  }

  /** The answer to {@link StartTransfer}: the id, or why not ({@code conflict}: a range is busy). */
  record TransferStarted(String transferId, String refusal, boolean conflict) implements CborSerializable {}

  record TransferList(List<TransferProgress> transfers) implements CborSerializable {}

  /**
   * {@code active} false: the transfer ended; {@code committedEpoch} 0: not committed;
   * {@code rollingBack}: it rolls back.
   */
  record TransferStatus(boolean active, long committedEpoch, boolean rollingBack) implements CborSerializable {

    /** Where the transfer stands in {@code state}: not active once ended (or never planned). */
    static TransferStatus of(CoordinatorState state, String transferId) {
      return state.activeTransfer(transferId)
          .map(t -> new TransferStatus(true, t.committedEpoch(), t.rollingBack()))
          .orElse(new TransferStatus(false, 0, false));
    }
  }
}
