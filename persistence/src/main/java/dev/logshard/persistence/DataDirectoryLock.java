package dev.logshard.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A node's exclusive claim on its data directory ({@code <data-dir>/node.lock}, an OS file lock),
 * held from before the databases are opened until the node has stopped. H2 locks a database only
 * while a connection is open, and journals connect lazily, so without this two nodes could
 * share, and corrupt, one directory. The OS drops the lock when the process dies, even by kill -9.
 */
public final class DataDirectoryLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock, or fails at once with a message naming the directory. */
  public static DataDirectoryLock acquire(Path dataDir) {
    Path file = dataDir.resolve("node.lock");
    try {
      Files.createDirectories(dataDir);
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by this very JVM
      }
      if (lock == null) {
        channel.close();
        throw new IllegalStateException(
            "data directory " + dataDir.toAbsolutePath() + " is in use by another LogShard node");
      }
      return new DataDirectoryLock(channel, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock data directory " + dataDir.toAbsolutePath(), e);
    }
  }

  /** Releases the lock; calling it again does nothing. */
  @Override
  public synchronized void close() {
    if (!channel.isOpen()) {
      return;
    }
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
