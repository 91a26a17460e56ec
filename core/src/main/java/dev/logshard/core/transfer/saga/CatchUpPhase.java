package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The saga's catch-up and read ramp: each source's journal after its snapshot is streamed into the
 * destinations (the shell runs the streams), the sources report their positions every tick, and
 * once the lag is small the sources send a rising fraction of reads to the destinations.
 */
final class CatchUpPhase {

  private final SagaContext ctx;
  private final SourcePositions positions;
  private final Map<String, Long> snapshotSeqNrs;
  private final Set<String> streaming = new HashSet<>();
  double redirectFraction;
  long redirectedReads;

  CatchUpPhase(SagaContext ctx, SourcePositions positions, Map<String, Long> snapshotSeqNrs) {
    this.ctx = ctx;
    this.positions = positions;
    this.snapshotSeqNrs = snapshotSeqNrs;
  }

  /** Streams every source not streaming yet, from after what the destinations have. */
  void startStreams() {
    for (RangePlacement source : ctx.plan.sources()) {
      String id = source.entityId();
      if (!streaming.add(id)) {
        continue;
      }
      long from = Math.max(snapshotSeqNrs.getOrDefault(id, 0L), positions.applied(id)) + 1;
      positions.applied.putIfAbsent(id, from - 1);
      ctx.emit(new SagaEffect.StartCatchUp(source, from, ctx.copyId));
    }
  }

  void streamEnded(String source) {
    streaming.remove(source);
  }

  boolean streaming() {
    return !streaming.isEmpty();
  }

  /** Asks every source for its position (a progress sample, not a step the phase waits for). */
  void sampleSources() {
    for (RangePlacement source : ctx.plan.sources()) {
      ctx.emit(new SagaEffect.Send(source.entityId(), new TransferStep.DescribeLog()));
    }
  }

  void positionReported(TransferReply.LogPosition position) {
    positions.reported.put(position.entityId(), position.seqNr());
    redirectedReads = position.redirectedReads();
  }

  /** Catch-up is done: every source reported and the destinations lag little. */
  boolean caughtUp() {
    return positions.lag() <= ctx.settings.catchUpLag() && positions.everyReported();
  }

  void startRamp() {
    redirectFraction = 0;
    ctx.emit(new SagaEffect.StartRamp());
  }

  /** The ramp is done and the lag is small enough to fence. */
  boolean readyToFence() {
    return redirectFraction >= ctx.settings.redirectTarget() && positions.lag() <= ctx.settings.fenceLag();
  }

  /** Every redirect interval: a larger share of reads to the destinations, unless they lag. */
  void rampStep() {
    if (positions.lag() <= ctx.settings.redirectMaxLag() && redirectFraction < ctx.settings.redirectTarget()) {
      redirectFraction = Math.min(ctx.settings.redirectTarget(), redirectFraction + ctx.settings.redirectStep());
      ctx.progressed(); // a rising ramp is progress, writes or not
    }
    for (RangePlacement source : ctx.plan.sources()) {
      ctx.emit(new SagaEffect.Send(source.entityId(),
          new TransferStep.RedirectReads(ctx.plan.id(), redirectFraction, ctx.plan.destinations())));
    }
  }
}
