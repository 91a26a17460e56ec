package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * What every phase of one saga incarnation shares: the plan, settings and clocks, the phase it is
 * in, the effects decided so far, the steps it waits answers to, and what its progress reports.
 */
final class SagaContext {

  final TransferPlan plan;
  final TransferSettings settings;
  final boolean stopFirst;
  private final LongSupplier clockMillis;
  private final LongSupplier nanos;
  private List<SagaEffect> out = new ArrayList<>();

  TransferPhase phase = TransferPhase.PLANNED;
  SagaState latest;
  boolean resumed;
  long lastProgressNanos;
  long keysCopied;
  long bytesCopied;
  String failure;
  /** The snapshot copy the destinations follow: a new one for each attempt at the copy. */
  String copyId;
  /** The epoch the transfer committed at (0: not known to have committed). */
  long epoch;
  /** Asked the Coordinator to roll back: the transfer can no longer commit unless it already did. */
  boolean rollBackRequested;

  /** The shards whose answer to their last step the phase waits for. */
  final Set<String> awaiting = new HashSet<>();
  /** The last step sent to each shard, sent again after commit and while rolling back until done. */
  final Map<String, TransferStep> lastStep = new HashMap<>();

  SagaContext(TransferPlan plan, TransferSettings settings, boolean stopFirst, LongSupplier clockMillis,
      LongSupplier nanos) {
    this.plan = plan;
    this.settings = settings;
    this.stopFirst = stopFirst;
    this.clockMillis = clockMillis;
    this.nanos = nanos;
    this.lastProgressNanos = nanos.getAsLong();
  }

  long nanos() {
    return nanos.getAsLong();
  }

  long clockMillis() {
    return clockMillis.getAsLong();
  }

  void progressed() {
    lastProgressNanos = nanos();
  }

  void emit(SagaEffect effect) {
    out.add(effect);
  }

  List<SagaEffect> drain() {
    List<SagaEffect> effects = out;
    out = new ArrayList<>();
    return effects;
  }

  /** Sends a step whose answer the phase waits for. */
  void send(String entityId, TransferStep step) {
    awaiting.add(entityId);
    lastStep.put(entityId, step);
    emit(new SagaEffect.Send(entityId, step));
  }

  void send(RangePlacement placement, TransferStep step) {
    send(placement.entityId(), step);
  }

  TransferStep lastStepTo(String entityId) {
    return lastStep.get(entityId);
  }

  void resendAwaited() {
    progressed();
    for (String entityId : awaiting) {
      TransferStep step = lastStep.get(entityId);
      if (step != null) {
        log("sending " + step.name() + " again to " + entityId, false);
        emit(new SagaEffect.Send(entityId, step));
      }
    }
  }

  void persistPhase(TransferPhase next, Map<String, Long> seqNrs, long epoch, String why) {
    emit(new SagaEffect.Persist(new PhaseReached(next, seqNrs, epoch, keysCopied, bytesCopied, why, clockMillis(), copyId)));
  }

  void log(String message, boolean warning) {
    emit(new SagaEffect.Log(message, warning));
  }
}
