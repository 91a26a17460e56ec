package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPhase;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How a saga ends. Committed: after {@code cleanup-after} the sources are discarded and their
 * events and snapshots deleted, then DONE. Rolled back (failure, timeout or abort before the
 * commit, once the Coordinator recorded it): the sources are un-fenced, the destinations discarded
 * and deleted, then ROLLED_BACK. Every step is sent again until done.
 */
final class EndPhase {

  private final SagaContext ctx;
  private boolean cleaningUp;
  private final Set<String> purging = new HashSet<>();

  EndPhase(SagaContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Rolls back, once the Coordinator has recorded it (from then on the transfer cannot commit and
   * its destinations do not start again); if it committed meanwhile, the saga goes forward instead.
   */
  void rollBack(String why) {
    if (!ctx.phase.canRollBack()) {
      ctx.log("cannot roll back in phase " + ctx.phase + " (" + why + ")", true);
      return;
    }
    if (ctx.rollBackRequested) {
      return;
    }
    ctx.log("rolls back from phase " + ctx.phase + ": " + why, true);
    ctx.failure = why;
    ctx.rollBackRequested = true;
    ctx.emit(new SagaEffect.RequestRollBack());
  }

  /** Un-fences the sources and discards the destinations (once no catch-up stream can reach them). */
  void undoOnShards() {
    for (RangePlacement source : ctx.plan.sources()) {
      ctx.send(source, new TransferStep.Unfence(ctx.plan.id()));
    }
    for (RangePlacement d : ctx.plan.destinations()) {
      ctx.send(d, new TransferStep.Discard(ctx.plan.id()));
    }
  }

  /** The committed transfer's old generations have been kept long enough: stop them. */
  void cleanUp() {
    cleaningUp = true;
    ctx.progressed();
    for (RangePlacement source : ctx.plan.sources()) {
      ctx.send(source, new TransferStep.Discard(ctx.plan.id()));
    }
  }

  boolean cleaningUp() {
    return cleaningUp;
  }

  /** Deletes the generations that no longer run: the committed sources, or the rolled-back destinations. */
  void purgeRetired() {
    purge(retired());
  }

  /** Deleting {@code entityId} ended; {@code failure} null when it succeeded. */
  void purged(String entityId, String failure) {
    purging.remove(entityId);
    if (failure != null) {
      ctx.log("deleting " + entityId + " failed (" + failure + "); retrying", true);
      purge(retired().stream().filter(p -> p.entityId().equals(entityId)).toList());
    } else if (purging.isEmpty()) {
      ctx.persistPhase(ctx.phase == TransferPhase.ROLLING_BACK ? TransferPhase.ROLLED_BACK : TransferPhase.DONE,
          null, 0, null);
    }
  }

  private List<RangePlacement> retired() {
    return ctx.phase == TransferPhase.ROLLING_BACK ? ctx.plan.destinations() : ctx.plan.sources();
  }

  private void purge(List<RangePlacement> generations) {
    generations.forEach(p -> purging.add(p.entityId()));
    ctx.emit(new SagaEffect.Purge(generations));
  }
}
