package dev.logshard.persistence;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Supplier;

/**
 * A shard map on disk ({@code <data-dir>/shard-map.json}). Nodes of LogShard 0.1 stored their map
 * here; a node now seeds its Coordinator from it when the Coordinator's journal holds no map yet,
 * so such a data directory keeps its ranges. The Coordinator's journal is the map's home after
 * that. Written to a temporary file, forced to disk, then atomically renamed.
 */
public final class ShardMapFile {

  public static final String FILE_NAME = "shard-map.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  public ShardMapFile(Path dataDir) {
    this.file = dataDir.resolve(FILE_NAME);
  }

  record Stored(long epoch, List<StoredRange> ranges) {}

  record StoredRange(String rangeId, String start, String last, long generation, String logInstance) {}

  public boolean exists() {
    return Files.exists(file);
  }

  /** The stored map, or {@code initial} (then stored) when there is none yet. */
  public ShardMap loadOrCreate(Supplier<ShardMap> initial) {
    if (Files.exists(file)) {
      return load();
    }
    ShardMap map = initial.get();
    save(map);
    return map;
  }

  public ShardMap load() {
    try {
      Stored stored = JSON.readValue(file.toFile(), Stored.class);
      return new ShardMap(
          stored.epoch(),
          stored.ranges().stream()
              .map(r -> new RangePlacement(
                  r.rangeId(),
                  new KeyRange(Long.parseUnsignedLong(r.start()), Long.parseUnsignedLong(r.last())),
                  r.generation(),
                  r.logInstance()))
              .toList());
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read the shard map " + file + ": " + e.getMessage(), e);
    }
  }

  public void save(ShardMap map) {
    Stored stored = new Stored(
        map.epoch(),
        map.placements().stream()
            .map(p -> new StoredRange(
                p.rangeId(), p.range().startString(), Long.toUnsignedString(p.range().last()),
                p.generation(), p.logInstance()))
            .toList());
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stored));
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the shard map " + file, e);
    }
  }
}
