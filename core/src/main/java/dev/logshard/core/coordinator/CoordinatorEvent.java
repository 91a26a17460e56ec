package dev.logshard.core.coordinator;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.Decision;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.util.List;

/** What the Coordinator journals. */
public sealed interface CoordinatorEvent extends CborSerializable {

  /** The first map, from the node's seed. */
  record MapInitialized(long epoch, List<RangePlacement> placements) implements CoordinatorEvent {}

  record TransferPlanned(TransferPlan plan) implements CoordinatorEvent {}

  /** The transfer's sources are replaced by its destinations at {@code epoch}. */
  record TransferCommitted(String transferId, long epoch) implements CoordinatorEvent {}

  /** The transfer rolls back: it can no longer commit, and its destinations are no longer placed. */
  record TransferRollingBack(String transferId) implements CoordinatorEvent {}

  record TransferEnded(TransferProgress progress) implements CoordinatorEvent {}

  /** The planner decided a transfer, for this reason (journaled before the transfer it starts). */
  record DecisionRecorded(Decision decision) implements CoordinatorEvent {}

  /** A log instance is to be emptied of ranges (or no longer): the planner moves them elsewhere. */
  record DrainingSet(String instance, boolean draining) implements CoordinatorEvent {}

  /** A cluster node ({@code host:port}) is to be emptied of ranges, or no longer. */
  record NodeDrainingSet(String node, boolean draining) implements CoordinatorEvent {}

  /**
   * The generation {@code entityId} is to run on {@code node} ({@code host:port}) from now on, its log
   * unchanged: the planner relocated it (Cluster Sharding hands it off there).
   */
  record GenerationRelocated(String entityId, String node) implements CoordinatorEvent {}

  /** A log instance was added at runtime ({@code POST /v1/admin/log-instances}). */
  record InstanceAdded(CoordinatorState.AddedInstance instance) implements CoordinatorEvent {}
}
