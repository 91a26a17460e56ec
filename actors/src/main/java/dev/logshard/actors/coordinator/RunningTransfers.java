package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.TransferList;
import dev.logshard.actors.support.Supervision;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The Coordinator's sagas while they run: each one's child actor and its latest progress (in
 * memory; what is durable is in the Coordinator's state). Not an actor: the Coordinator calls it on
 * its own thread.
 */
final class RunningTransfers {

  private final ActorContext<CoordinatorCommand> ctx;
  private final BiFunction<TransferSaga.Start, ActorRef<CoordinatorCommand>, Behavior<TransferSaga.Command>> sagas;
  private final LongSupplier clock;
  private final Map<String, ActorRef<TransferSaga.Command>> running = new HashMap<>();
  private final Map<String, TransferProgress> progress = new HashMap<>();

  RunningTransfers(ActorContext<CoordinatorCommand> ctx,
      BiFunction<TransferSaga.Start, ActorRef<CoordinatorCommand>, Behavior<TransferSaga.Command>> sagas,
      LongSupplier clock) {
    this.ctx = ctx;
    this.sagas = sagas;
    this.clock = clock;
  }

  /** A transfer just planned (by hand or by the planner): its first progress, and its saga. */
  void begin(TransferSaga.Start start) {
    TransferPlan plan = start.plan();
    ctx.getLog().info("Transfer [{}] planned{}: {} {} -> {}", plan.id(), plan.startedBy() == null ? "" : " by the planner",
        plan.kind(), plan.sources(), plan.destinations());
    progress.put(plan.id(), TransferProgress.planned(plan, clock.getAsLong()));
    resume(start);
  }

  /** Starts the saga of a transfer (anew after a restart: it resumes from its own persisted phase). */
  void resume(TransferSaga.Start start) {
    ActorRef<TransferSaga.Command> saga = ctx.spawn(
        Behaviors.supervise(sagas.apply(start, ctx.getSelf())).onFailure(Supervision.restartWithBackoff()),
        "transfer-" + start.plan().id());
    running.put(start.plan().id(), saga);
  }

  /** A saga's progress, kept while its transfer is active in {@code state}. */
  void report(CoordinatorState state, TransferProgress latest) {
    if (state.activeTransfer(latest.id()).isPresent()) {
      progress.put(latest.id(), latest);
    }
  }

  void ended(String transferId) {
    progress.remove(transferId);
    running.remove(transferId);
  }

  /** Asks a running saga to roll back (it does only before its commit). */
  void abort(String transferId, String why) {
    ActorRef<TransferSaga.Command> saga = running.get(transferId);
    if (saga != null) {
      saga.tell(new TransferSaga.Abort(why));
    }
  }

  /** Every transfer of {@code state}: the active ones with their latest progress, then the ended ones. */
  TransferList list(CoordinatorState state) {
    List<TransferProgress> all = new ArrayList<>();
    for (var t : state.active()) {
      all.add(progress.getOrDefault(t.plan().id(), TransferProgress.planned(t.plan(), clock.getAsLong())));
    }
    all.addAll(state.ended());
    return new TransferList(List.copyOf(all));
  }
}
