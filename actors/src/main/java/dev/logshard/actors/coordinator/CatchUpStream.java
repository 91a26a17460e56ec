package dev.logshard.actors.coordinator;

import com.typesafe.config.ConfigFactory;
import dev.logshard.actors.rangeshard.RangeShardCommand;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.actors.support.Stages;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferSettings;
import dev.logshard.persistence.LogInstance;
import dev.logshard.core.transfer.saga.CatchUpBatch;
import dev.logshard.core.transfer.saga.SagaEffect;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The catch-up of one transfer source (DESIGN.md, step 3): its journal after the snapshot, read
 * with Pekko Persistence Query's {@code eventsByPersistenceId} on its log instance, batched (bounded
 * in events and bytes: one batch may cross to another node) and applied to every destination as
 * {@link CatchUpBatch} splits it, one batch at a time. Runs until it is shut down or a destination
 * refuses (then it fails).
 */
final class CatchUpStream {

  private CatchUpStream() {}

  /**
   * Starts streaming {@code source} from {@code fromSeqNr} for the snapshot copy {@code copy};
   * {@code applied} hears each sequence number every destination applied, {@code ended} the end
   * (null: shut down, else why it failed).
   */
  static UniqueKillSwitch start(ActorSystem<?> system, TransferPlan plan, RangePlacement source, long fromSeqNr,
      String copy, LogInstance instance, TransferSettings settings,
      Function<String, EntityRef<RangeShardCommand>> shards, LongConsumer applied, Consumer<String> ended) {
    // An instance added at runtime carries its query plugin's config.
    EventsByPersistenceIdQuery query = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(EventsByPersistenceIdQuery.class, instance.queryPluginId(),
            instance.pluginConfig() == null ? ConfigFactory.empty() : instance.pluginConfig());
    var running = query.eventsByPersistenceId(RangeShardEntity.persistenceId(source.entityId()).id(), fromSeqNr,
            Long.MAX_VALUE)
        .viaMat(KillSwitches.single(), Keep.right())
        .map(new Contiguous(fromSeqNr)::check)
        .groupedWeightedWithin(settings.chunkBytes(), settings.cdcBatch(),
            envelope -> 1 + RangeShardEvent.sizeOf(envelope.event()), settings.cdcBatchWithin())
        .mapAsync(1, envelopes -> apply(plan, source.entityId(), copy, envelopes, settings, shards))
        .toMat(Sink.foreach(applied::accept), Keep.both())
        .run(Materializer.matFromSystem(system));
    running.second().whenComplete((done, failed) -> ended.accept(failed == null ? null : String.valueOf(failed.getMessage())));
    return running.first();
  }

  /**
   * Fails the catch-up where the source's events do not follow on (the source deleted events it
   * had not read yet: its retention does so only long after its last transfer step, but a restart
   * forgets that), so the transfer rolls back instead of missing writes.
   */
  private static final class Contiguous {
    private long next;

    Contiguous(long from) {
      this.next = from;
    }

    EventEnvelope check(EventEnvelope envelope) {
      if (envelope.sequenceNr() != next) {
        throw new IllegalStateException("the source's events " + next + " to " + (envelope.sequenceNr() - 1)
            + " are gone (deleted before the catch-up read them)");
      }
      next++;
      return envelope;
    }
  }

  private static CompletionStage<Long> apply(TransferPlan plan, String sourceEntityId, String copy,
      List<EventEnvelope> envelopes, TransferSettings settings, Function<String, EntityRef<RangeShardCommand>> shards) {
    List<CatchUpBatch.SourceEvent> events = new ArrayList<>(envelopes.size());
    for (EventEnvelope envelope : envelopes) {
      events.add(new CatchUpBatch.SourceEvent(envelope.sequenceNr(), envelope.event()));
    }
    long last = events.get(events.size() - 1).seqNr();
    List<CompletableFuture<TransferReply>> replies = new ArrayList<>();
    for (SagaEffect.Send send : CatchUpBatch.steps(plan, copy, sourceEntityId, last, CatchUpBatch.changesOf(events), 0, 0)) {
      replies.add(Stages.adopt(shards.apply(send.entityId()).<TransferReply>ask(
          replyTo -> new RangeShardCommand.Step(send.step(), replyTo), settings.stepTimeout())));
    }
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).thenApply(all -> {
      String failure = CatchUpBatch.failureOf(replies.stream().map(CompletableFuture::join).toList());
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
      return last;
    });
  }
}
