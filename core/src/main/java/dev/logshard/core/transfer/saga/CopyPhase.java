package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.Change;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPhase;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The saga's snapshot copy: the destinations start following a new copy (empty), then each source
 * in turn opens a point-in-time export at its sequence number {@code s0}, which is read in chunks
 * at the configured pace and applied to the destinations; the last chunk marks {@code s0} applied.
 */
final class CopyPhase {

  private final SagaContext ctx;
  private final Supplier<String> copyIds;
  private int exportSource;
  private int exportNext;
  /** Names each chunk's ApplyChanges, so a repeated answer to an earlier one is not taken for it. */
  private long chunkStep;
  private boolean exportLast;
  private long exportLastVersion;
  private long copyStartNanos;
  /** Per source: the sequence number its export was taken at (the catch-up starts after it). */
  final Map<String, Long> snapshotSeqNrs = new HashMap<>();

  CopyPhase(SagaContext ctx, Supplier<String> copyIds) {
    this.ctx = ctx;
    this.copyIds = copyIds;
  }

  void start() {
    ctx.keysCopied = 0;
    ctx.bytesCopied = 0;
    exportSource = 0;
    copyStartNanos = ctx.nanos();
    ctx.copyId = copyIds.get();
    List<String> sources = ctx.plan.sources().stream().map(RangePlacement::entityId).toList();
    for (RangePlacement d : ctx.plan.destinations()) {
      ctx.send(d, new TransferStep.Follow(ctx.plan.id(), ctx.copyId, sources));
    }
  }

  /** Whether a chunk answers the last read of its export (not an earlier one, nor one of an earlier export). */
  boolean answersLastRead(TransferReply.ExportChunk chunk) {
    return ctx.lastStepTo(chunk.entityId()) instanceof TransferStep.ReadExport read
        && chunk.next() - chunk.entries().size() == read.from()
        && chunk.seqNr() == snapshotSeqNrs.getOrDefault(chunk.entityId(), -1L);
  }

  /** An answer to the copy's last step to {@code from}. */
  void onReply(TransferReply reply, String from) {
    if (reply instanceof TransferReply.ExportOpened opened) {
      snapshotSeqNrs.put(from, opened.seqNr());
      exportLastVersion = opened.lastVersion();
      readExport(0);
    } else if (reply instanceof TransferReply.ExportChunk chunk) {
      importChunk(chunk);
    } else if (ctx.awaiting.isEmpty()) {
      if (reply instanceof TransferReply.Applied && !exportLast) {
        paceNextChunk();
      } else {
        if (reply instanceof TransferReply.Applied) {
          exportSource++;
        }
        exportLast = false;
        openExport();
      }
    }
  }

  /** The copy's pace allows reading the chunk at {@code from} now. */
  void readChunk(int from) {
    readExport(from);
  }

  private void openExport() {
    if (exportSource == ctx.plan.sources().size()) {
      ctx.persistPhase(ctx.stopFirst ? TransferPhase.FENCE : TransferPhase.CATCH_UP, Map.copyOf(snapshotSeqNrs), 0, null);
      return;
    }
    ctx.send(ctx.plan.sources().get(exportSource), new TransferStep.OpenExport(ctx.plan.id()));
  }

  private void readExport(int from) {
    ctx.send(ctx.plan.sources().get(exportSource),
        new TransferStep.ReadExport(ctx.plan.id(), from, ctx.settings.chunkBytes()));
  }

  /** Reads the next chunk now, or later if the copy is ahead of {@code copy-bytes-per-second}. */
  private void paceNextChunk() {
    long rate = ctx.stopFirst ? 0 : ctx.settings.copyBytesPerSecond(); // the baseline copies flat out: writes wait
    long dueNanos = rate <= 0 ? 0 : copyStartNanos + ctx.bytesCopied * 1_000_000_000L / rate;
    long waitNanos = dueNanos - ctx.nanos();
    if (waitNanos <= 1_000_000) {
      readExport(exportNext);
    } else {
      ctx.progressed(); // pacing is not a stall
      ctx.emit(new SagaEffect.ReadChunkLater(exportNext, waitNanos));
    }
  }

  private void importChunk(TransferReply.ExportChunk chunk) {
    RangePlacement source = ctx.plan.sources().get(exportSource);
    exportNext = chunk.next();
    exportLast = chunk.last();
    long upTo = chunk.last() ? snapshotSeqNrs.get(source.entityId()) : 0;
    chunkStep++;
    for (SagaEffect.Send send : CatchUpBatch.steps(ctx.plan, ctx.copyId, source.entityId(), upTo, chunk.entries(),
        exportLastVersion, chunkStep)) {
      ctx.send(send.entityId(), send.step());
    }
    for (Change c : chunk.entries()) {
      ctx.keysCopied++;
      ctx.bytesCopied += c.sizeInBytes();
    }
  }
}
