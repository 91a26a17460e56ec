package dev.logshard.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.persistence.rocksdb.RocksImport;
import dev.logshard.persistence.rocksdb.RocksSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.PersistentRepr$;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.FutureConverters;

/**
 * Moves a data directory the H2 engine wrote to the RocksDB engine: every log instance's H2 file
 * ({@code <name>.mv.db}, configured or added at runtime) is read through its pekko-persistence-jdbc
 * plugins — every persistence id's events, its latest snapshot and its highest sequence number —
 * and written into {@code <name>.migrating/}, which becomes {@code <name>/} once complete; the H2
 * file is then kept as {@code <name>.mv.db.migrated}. A crash midway leaves the H2 file as it was
 * and the partial copy is started again. Runs in an actor system of its own (local, the node's
 * serialization) before the node starts.
 */
public final class H2Migration {

  private static final Logger LOG = LoggerFactory.getLogger(H2Migration.class);
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final int BATCH = 1_000;

  private H2Migration() {}

  /** The instances in {@code dataDir} that the H2 engine wrote and RocksDB has not taken yet. */
  public static List<String> pending(Path dataDir) {
    if (!Files.isDirectory(dataDir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dataDir)) {
      return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".mv.db"))
          .map(f -> f.substring(0, f.length() - ".mv.db".length()))
          .filter(name -> name.matches(LogInstance.NAME) && !Files.isDirectory(dataDir.resolve(name)))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dataDir, e);
    }
  }

  /**
   * Migrates every pending instance of {@code dataDir}; {@code base}: the node's config (its
   * serialization and the plugin defaults). Returns the instances migrated.
   */
  public static List<String> run(Config base, Path dataDir) {
    List<String> names = pending(dataDir);
    if (names.isEmpty()) {
      return names;
    }
    EmbeddedStorage h2 = EmbeddedStorage.create(base, dataDir);
    LogInstances.RuntimeStorage plugins = h2.runtime(base);
    Config config = ConfigFactory.empty().withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("local"));
    List<LogInstance> instances = new ArrayList<>();
    for (String name : names) {
      LogInstance instance = new LogInstance(name, "standard", 0, 0);
      instances.add(instance);
      config = config.withFallback(plugins.prepare(instance));
    }
    ActorSystem system = ActorSystem.create("logshard-h2-migration", config.withFallback(base));
    try {
      for (LogInstance instance : instances) {
        copy(system, instance, base, migrating(dataDir, instance));
      }
    } finally {
      system.terminate();
      try {
        FutureConverters.asJava(system.whenTerminated()).toCompletableFuture().get(1, TimeUnit.MINUTES);
      } catch (Exception e) {
        LOG.warn("The migration's actor system did not stop in time: {}", e.toString());
      }
    }
    for (LogInstance instance : instances) {
      try {
        Files.move(migrating(dataDir, instance), dataDir.resolve(instance.name()), StandardCopyOption.ATOMIC_MOVE);
        Files.move(h2.file(instance), dataDir.resolve(instance.name() + ".mv.db.migrated"),
            StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot finish the migration of log instance " + instance.name(), e);
      }
    }
    return names;
  }

  private static Path migrating(Path dataDir, LogInstance instance) {
    return dataDir.resolve(instance.name() + ".migrating");
  }

  private static void copy(ActorSystem system, LogInstance instance, Config base, Path target) {
    deleteRecursively(target); // a copy a crash interrupted starts again
    Config plugin = base.getConfig("logshard.rocksdb.journal")
        .withValue("dir", ConfigValueFactory.fromAnyRef(target.toString()));
    Materializer materializer = Materializer.matFromSystem(system);
    Object query = PersistenceQuery.get(system).getReadJournalFor(CurrentPersistenceIdsQuery.class,
        instance.queryPluginId());
    CurrentEventsByPersistenceIdQuery events = (CurrentEventsByPersistenceIdQuery) query;
    ActorRef journal = Persistence.get(system).journalFor(instance.journalPluginId(), ConfigFactory.empty());
    ActorRef snapshots = Persistence.get(system).snapshotStoreFor(instance.snapshotPluginId(), ConfigFactory.empty());
    long start = System.nanoTime();
    long copied = 0;
    try (RocksImport into = RocksImport.open(RocksSettings.create(plugin), SerializationExtension.get(system))) {
      List<String> ids = await(((CurrentPersistenceIdsQuery) query).currentPersistenceIds()
          .runWith(Sink.seq(), materializer));
      for (String id : ids) {
        long last = 0;
        for (List<EventEnvelope> batch : await(events.currentEventsByPersistenceId(id, 0, Long.MAX_VALUE)
            .grouped(BATCH).runWith(Sink.seq(), materializer))) {
          List<PersistentRepr> reprs = batch.stream().map(e -> PersistentRepr$.MODULE$.apply(e.event(), e.sequenceNr(),
              id, "", false, ActorRef.noSender(), "h2-migration").withTimestamp(e.timestamp())).toList();
          await(into.events(id, reprs));
          last = batch.get(batch.size() - 1).sequenceNr();
          copied += batch.size();
        }
        Object loaded = await(Patterns.ask(snapshots, new SnapshotProtocol.LoadSnapshot(id,
            SnapshotSelectionCriteria.latest(), Long.MAX_VALUE), TIMEOUT));
        if (loaded instanceof SnapshotProtocol.LoadSnapshotResult result && result.snapshot().isDefined()) {
          SelectedSnapshot selected = result.snapshot().get();
          await(into.snapshot(selected.metadata(), selected.snapshot()));
        }
        Object highest = await(FutureConverters.asJava(Patterns.askWithReplyTo(journal,
            replyTo -> new JournalProtocol.ReplayMessages(0, 0, 0, id, replyTo), TIMEOUT.toMillis())));
        if (highest instanceof JournalProtocol.RecoverySuccess success && success.highestSequenceNr() > last) {
          await(into.highestSequenceNr(id, success.highestSequenceNr()));
        }
      }
      LOG.info("Migrated log instance [{}] from H2 to RocksDB: {} persistence ids, {} events in {} ms",
          instance.name(), ids.size(), copied, (System.nanoTime() - start) / 1_000_000);
    }
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the migration from H2 failed: " + e.getMessage(), e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the interrupted copy " + dir, e);
    }
  }
}
