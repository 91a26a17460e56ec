package dev.logshard.actors.coordinator;

import dev.logshard.actors.support.Stages;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a configuration change from silently losing the map. The Coordinator's journal (the map,
 * every transfer, the planner's decisions) lives on one log instance, chosen by
 * {@code logshard.coordinator-log-instance} (empty: {@code logshard.initial-log-instance}). If
 * that setting changes after the first start, the Coordinator would find an empty journal and seed
 * a new map at epoch 1: the ranges moved, split or merged before would be out of sight. At start
 * the node looks for the Coordinator's events on every configured log instance; if the configured
 * one has none and another has them, it refuses to start and names the instance to set back.
 */
public final class CoordinatorJournalGuard {

  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorJournalGuard.class);

  /**
   * What the Coordinator's log instance journals, as persistence id prefixes: the Coordinator, its
   * load history and every transfer saga.
   */
  public static final List<String> JOURNAL_ID_PREFIXES = List.of(Coordinator.PERSISTENCE_ID,
      ClusterLoad.PERSISTENCE_ID, TransferSaga.ENTITY_TYPE + PersistenceId.DefaultSeparator());

  private CoordinatorJournalGuard() {}

  /** Why the node must not start (empty: it may); never fails, an instance that cannot be read counts as empty. */
  public static CompletableFuture<Optional<String>> check(ActorSystem<?> system, LogInstances instances, Duration timeout) {
    LogInstance configured = instances.coordinator();
    List<LogInstance> others = instances.configured().stream().filter(i -> !i.name().equals(configured.name())).toList();
    if (others.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return holdsCoordinator(system, configured, timeout).thenCompose(here -> {
      if (here) {
        return CompletableFuture.completedFuture(Optional.<String>empty());
      }
      List<CompletableFuture<Boolean>> found = new ArrayList<>();
      others.forEach(other -> found.add(holdsCoordinator(system, other, timeout)));
      return CompletableFuture.allOf(found.toArray(CompletableFuture[]::new)).thenApply(done -> {
        for (int i = 0; i < others.size(); i++) {
          if (found.get(i).join()) {
            return Optional.of(refusal(others.get(i).name(), configured.name()));
          }
        }
        return Optional.<String>empty();
      });
    });
  }

  static String refusal(String holds, String configured) {
    return "the Coordinator's journal (the shard map, the transfers, the planner's decisions) is on log instance '"
        + holds + "', but the configuration now puts it on '" + configured + "' (logshard.coordinator-log-instance, "
        + "or logshard.initial-log-instance when that is empty). Starting would seed a new map at epoch 1 and lose "
        + "sight of every range moved, split or merged before. Set logshard.coordinator-log-instance = \"" + holds
        + "\" to keep it there, or, to move it to '" + configured + "', start the node once with "
        + "--move-coordinator-journal (logshard.move-coordinator-journal = true; embedded mode only)";
  }

  /** Whether the instance's journal holds at least one event of the Coordinator. */
  private static CompletableFuture<Boolean> holdsCoordinator(ActorSystem<?> system, LogInstance instance, Duration timeout) {
    CompletableFuture<Boolean> found;
    try {
      CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(system)
          .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, instance.queryPluginId());
      found = Stages.adopt(query.currentEventsByPersistenceId(Coordinator.PERSISTENCE_ID, 0, Long.MAX_VALUE)
          .take(1).runWith(Sink.headOption(), system)).thenApply(Optional::isPresent);
    } catch (RuntimeException e) {
      found = CompletableFuture.failedFuture(e);
    }
    return found.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionally(failure -> {
      LOG.warn("Could not read log instance {} to see whether it holds the Coordinator's journal: {}",
          instance.name(), failure.toString());
      return false;
    });
  }
}
