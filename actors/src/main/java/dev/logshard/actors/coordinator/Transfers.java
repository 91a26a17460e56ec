package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.TransferList;
import dev.logshard.actors.coordinator.CoordinatorCommand.TransferStarted;
import dev.logshard.actors.support.Stages;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** The Coordinator's transfers, as the admin API asks for them. */
public final class Transfers {

  private final ActorRef<CoordinatorCommand> coordinator;
  private final Scheduler scheduler;
  private final Duration timeout;
  private final boolean faultInjection;
  private final Nodes nodes;

  public Transfers(ActorRef<CoordinatorCommand> coordinator, Scheduler scheduler, Duration timeout,
      boolean faultInjection, Nodes nodes) {
    this.nodes = nodes;
    this.coordinator = coordinator;
    this.scheduler = scheduler;
    this.timeout = timeout;
    this.faultInjection = faultInjection;
  }

  /**
   * Plans and starts a transfer. Completes with the coordinator's answer (an id, or why not), or
   * fails with IllegalArgumentException for a request that names what does not exist.
   */
  public CompletionStage<TransferStarted> start(TransferRequest request) {
    // The log instance is checked by the Coordinator: it knows those added at runtime.
    if (request.toNode() != null && !nodes.up().contains(request.toNode())) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "no node '" + request.toNode() + "' is up in the cluster; up are " + nodes.up()));
    }
    if (request.fault() != null && !faultInjection) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "fault injection is off (logshard.transfer.fault-injection)"));
    }
    return Stages.adopt(AskPattern.ask(coordinator, r -> new CoordinatorCommand.StartTransfer(request, r), timeout, scheduler));
  }

  /** The cluster's members and the ranges each runs. */
  public Nodes nodes() {
    return nodes;
  }

  /**
   * A member as {@code GET /v1/admin/nodes} shows it: the generations it runs, whether it is being
   * drained, and whether it can be removed (drained: no generation of the current map runs there
   * and no running transfer places one there).
   */
  public record NodeView(Nodes.Node node, boolean draining, boolean removable) {}

  /** Every member, with whether it is drained. */
  public CompletionStage<List<NodeView>> nodeViews() {
    return nodes.describe().thenCombine(draining(), (members, drain) -> members.stream().map(n -> new NodeView(n,
        drain.draining().contains(n.address()), drain.draining().contains(n.address())
            && !drain.receiving().contains(n.address())
            && n.entityIds().stream().noneMatch(drain.current()::contains))).toList());
  }

  private CompletionStage<CoordinatorCommand.DrainingNodes> draining() {
    return Stages.adopt(AskPattern.ask(coordinator, CoordinatorCommand.GetDrainingNodes::new, timeout, scheduler));
  }

  /** Marks a member to be drained (or no longer); fails with IllegalArgumentException for one that is not up. */
  public CompletionStage<List<NodeView>> setNodeDraining(String node, boolean draining) {
    if (draining && !nodes.up().contains(node)) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "no node '" + node + "' is up in the cluster; up are " + nodes.up()));
    }
    return Stages.adopt(AskPattern.<CoordinatorCommand, CoordinatorCommand.DrainingNodes>ask(coordinator,
        r -> new CoordinatorCommand.SetNodeDraining(node, draining, r), timeout, scheduler))
        .thenCompose(done -> nodeViews());
  }

  public CompletionStage<List<TransferProgress>> list() {
    return Stages.adopt(AskPattern.ask(coordinator, CoordinatorCommand.ListTransfers::new, timeout, scheduler))
        .thenApply(TransferList::transfers);
  }

  public CompletionStage<Optional<TransferProgress>> get(String id) {
    return list().thenApply(all -> all.stream().filter(p -> p.id().equals(id)).findFirst());
  }

  /** Asks the transfer to roll back; completes with its progress before that, if it exists. */
  public CompletionStage<Optional<TransferProgress>> abort(String id) {
    return Stages.adopt(AskPattern.<CoordinatorCommand, TransferList>ask(
            coordinator, r -> new CoordinatorCommand.AbortTransfer(id, r), timeout, scheduler))
        .thenApply(found -> found.transfers().stream().findFirst());
  }

  /** The log instances: their ranges, and whether they are drained. */
  public CompletionStage<Planning.InstancesView> logInstances() {
    return Stages.adopt(AskPattern.ask(coordinator, CoordinatorCommand.GetLogInstances::new, timeout, scheduler));
  }

  /**
   * Marks {@code instance} to be drained (or no longer); fails with IllegalArgumentException for an
   * instance that does not exist.
   */
  public CompletionStage<Planning.InstancesView> setDraining(String instance, boolean draining) {
    return logInstances().thenCompose(known -> {
      List<String> names = known.instances().stream().map(Planning.InstanceView::name).sorted().toList();
      if (!names.contains(instance)) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
            "no log instance '" + instance + "'; there are " + names));
      }
      return Stages.adopt(AskPattern.<CoordinatorCommand, Planning.InstancesView>ask(
          coordinator, r -> new CoordinatorCommand.SetDraining(instance, draining, r), timeout, scheduler));
    });
  }

  /** Adds a log instance at runtime; completes with the Coordinator's answer. */
  public CompletionStage<CoordinatorCommand.LogInstanceAdded> addLogInstance(
      CoordinatorState.AddedInstance instance) {
    return Stages.adopt(AskPattern.ask(coordinator, r -> new CoordinatorCommand.AddLogInstance(instance, r), timeout,
        scheduler));
  }

  /** The planner's mode, latest rounds and decisions. */
  public CompletionStage<Planning.View> plan() {
    return Stages.adopt(AskPattern.ask(coordinator, CoordinatorCommand.GetPlan::new, timeout, scheduler));
  }

  /** Sets the planner's mode (one of {@code PlannerSettings.MODES}); completes with the plan view. */
  public CompletionStage<Planning.View> setPlannerMode(String mode) {
    return Stages.adopt(AskPattern.<CoordinatorCommand, Planning.View>ask(
        coordinator, r -> new CoordinatorCommand.SetPlannerMode(mode, r), timeout, scheduler));
  }
}
