package dev.logshard.node;

import com.typesafe.config.Config;
import dev.logshard.actors.coordinator.CoordinatorJournalGuard;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import dev.logshard.persistence.RocksStorage;
import dev.logshard.persistence.rocksdb.RocksMove;
import dev.logshard.persistence.rocksdb.RocksSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The explicit way to move the Coordinator's journal to another log instance (embedded mode):
 * set {@code logshard.coordinator-log-instance} to it and start once with
 * {@code --move-coordinator-journal}. Before the node starts, with its data directory locked, the
 * Coordinator's entries ({@link CoordinatorJournalGuard#JOURNAL_ID_PREFIXES}) are moved from the
 * configured instance that holds them to the one configured now. A file in the data directory names
 * the source while it runs, so that a crash midway (entries then in both) is finished by the next
 * start instead of refused as two maps.
 */
final class CoordinatorJournalMove {

  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorJournalMove.class);
  private static final String MOVING = "coordinator-journal.moving";

  private CoordinatorJournalMove() {}

  static void run(Config base, Path dataDir, RocksStorage storage) {
    LogInstances instances = LogInstances.fromConfig(base);
    LogInstance target = instances.coordinator();
    List<String> ids = CoordinatorJournalGuard.JOURNAL_ID_PREFIXES;
    Path moving = dataDir.resolve(MOVING);
    List<LogInstance> holders = instances.configured().stream()
        .filter(i -> !i.name().equals(target.name()))
        .filter(i -> Files.isDirectory(storage.dir(i)) && RocksMove.holds(storage.settings(base, i), ids))
        .toList();
    if (holders.isEmpty()) {
      LOG.info("The Coordinator's journal is on log instance '{}' already (or there is none yet): nothing to move",
          target.name());
      delete(moving);
      return;
    }
    if (holders.size() > 1) {
      throw new IllegalStateException("the Coordinator's journal is on more than one log instance ("
          + holders.stream().map(LogInstance::name).toList() + "): cannot tell which holds the map; nothing was moved");
    }
    LogInstance source = holders.get(0);
    RocksSettings to = storage.settings(base, target);
    if (!source.name().equals(read(moving)) && RocksMove.holds(to, ids)) {
      throw new IllegalStateException("log instance '" + target.name() + "' holds a Coordinator journal of its own "
          + "and '" + source.name() + "' holds another: moving one onto the other would mix two maps; nothing was "
          + "moved. Set logshard.coordinator-log-instance = \"" + source.name() + "\" to start with the map of '"
          + source.name() + "'");
    }
    write(moving, source.name());
    long entries = RocksMove.move(storage.settings(base, source), to, ids);
    delete(moving);
    LOG.info("Moved the Coordinator's journal from log instance '{}' to '{}' ({} entries)", source.name(),
        target.name(), entries);
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + file, e);
    }
  }
}
