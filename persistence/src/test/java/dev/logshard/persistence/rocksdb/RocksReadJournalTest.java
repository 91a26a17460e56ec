package dev.logshard.persistence.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB query plugin: events by persistence id, current and live, pushed at each write. */
class RocksReadJournalTest {

  @TempDir
  Path dir;

  /** An entity that persists each string it is sent; its state is every string so far. */
  static final class Recorder extends EventSourcedBehavior<String, String, List<String>> {
    Recorder(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public CommandHandler<String, String, List<String>> commandHandler() {
      return newCommandHandlerBuilder().forAnyState().onAnyCommand(c -> Effect().persist(c));
    }

    @Override
    public EventHandler<List<String>, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> {
        List<String> next = new ArrayList<>(state);
        next.add(e);
        return next;
      });
    }
  }

  private ActorSystem<Void> start() {
    // A live query hears of writes only by being told: its safety-net re-read is an hour away.
    Config config = ConfigFactory.parseString("pekko.actor.provider = local\n"
            + "test-rocksdb-query.query-refresh-interval = 1 h")
        .withFallback(RocksPluginComplianceTest.config(dir)).withFallback(ConfigFactory.load());
    return ActorSystem.create(Behaviors.empty(), "rocks-query", config);
  }

  private static RocksReadJournal queries(ActorSystem<?> system) {
    return PersistenceQuery.get(Adapter.toClassic(system)).getReadJournalFor(RocksReadJournal.class,
        "test-rocksdb-query");
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within 10 s: " + what);
      Thread.sleep(10);
    }
  }

  @Test
  void aLiveQueryGetsTheEventsWrittenAndThenEachNewOneWithoutPolling() throws Exception {
    ActorSystem<Void> system = start();
    try {
      ActorRef<String> recorder = system.systemActorOf(new Recorder("q-1"), "q-1",
          Props.empty());
      recorder.tell("a");
      recorder.tell("b");
      ConcurrentLinkedQueue<EventEnvelope> seen = new ConcurrentLinkedQueue<>();
      queries(system).eventsByPersistenceId("q-1", 1, Long.MAX_VALUE).runForeach(seen::add, system);
      await(() -> seen.size() == 2, "the two events written before the query");
      recorder.tell("c");
      await(() -> seen.size() == 3, "the event written after the query started");
      assertEquals(List.of("a", "b", "c"), seen.stream().map(EventEnvelope::event).toList());
      assertEquals(List.of(1L, 2L, 3L), seen.stream().map(EventEnvelope::sequenceNr).toList());

      List<EventEnvelope> current = queries(system).currentEventsByPersistenceId("q-1", 2, Long.MAX_VALUE)
          .runWith(Sink.seq(), system).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(List.of("b", "c"), current.stream().map(EventEnvelope::event).toList());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void eventsAreThereAfterTheDatabaseIsClosedAndOpenedAgain() throws Exception {
    ActorSystem<Void> first = start();
    ActorRef<String> recorder = first.systemActorOf(new Recorder("q-2"), "q-2",
        Props.empty());
    for (int i = 0; i < 1_000; i++) {
      recorder.tell("e" + i);
    }
    await(() -> {
      try {
        return queries(first).currentEventsByPersistenceId("q-2", 1_000, 1_000).runWith(Sink.seq(), first)
            .toCompletableFuture().get(10, TimeUnit.SECONDS).size() == 1;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "the 1,000th event written");
    first.terminate();
    first.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);

    ActorSystem<Void> second = start();
    try {
      List<EventEnvelope> all = queries(second).currentEventsByPersistenceId("q-2", 1, Long.MAX_VALUE)
          .runWith(Sink.seq(), second).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(1_000, all.size());
      assertEquals("e999", all.get(999).event());
    } finally {
      second.terminate();
      second.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
