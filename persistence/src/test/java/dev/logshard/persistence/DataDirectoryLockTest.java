package dev.logshard.persistence;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryLockTest {

  @Test
  void aDirectoryHasOneOwnerAtATime(@TempDir Path dir) {
    DataDirectoryLock first = DataDirectoryLock.acquire(dir);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> DataDirectoryLock.acquire(dir));
    assertTrue(e.getMessage().contains("in use by another LogShard node"), e.getMessage());
    first.close();
    first.close(); // idempotent
    DataDirectoryLock.acquire(dir).close();
  }
}
