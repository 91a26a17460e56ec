package dev.logshard.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logshard.core.KeyHash;
import dev.logshard.core.ShardMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AccessLogTest {

  @Test
  void drainsInOrderAndOnlyOnce() {
    AccessLog log = new AccessLog(16);
    for (int i = 0; i < 10; i++) {
      log.append(i, "k" + i, i, i % 2 == 0 ? AccessKind.READ : AccessKind.WRITE, i * 10, 7);
    }
    List<AccessRecord> drained = new ArrayList<>();
    assertEquals(10, log.drain(drained::add));
    for (int i = 0; i < 10; i++) {
      assertEquals(new AccessRecord(i, "k" + i, i, i % 2 == 0 ? AccessKind.READ : AccessKind.WRITE, i * 10, 7), drained.get(i));
    }
    assertEquals(0, log.drain(r -> { }));
  }

  @Test
  void memoryIsBoundedAndTheOldestAreOverwritten() {
    AccessLog log = new AccessLog(1000);
    assertEquals(1024, log.capacity());
    for (int i = 0; i < 5000; i++) {
      log.append(i, "k", 0, AccessKind.READ, 1, 0);
    }
    List<AccessRecord> drained = new ArrayList<>();
    assertEquals(1024, log.drain(drained::add));
    assertEquals(5000 - 1024, drained.get(0).timeMillis());
    assertEquals(5000 - 1024, log.overwritten());
  }

  @Test
  void concurrentWritersNeverProduceATornRecord() throws Exception {
    AccessLog log = new AccessLog(256);
    int writers = 4;
    int perWriter = 200_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perWriter; i++) {
          String key = "w" + writer + "-" + (i % 97);
          // Every field is derived from the key, so a mix of two appends is detectable.
          log.append(key.length(), key, KeyHash.of(key), writer % 2 == 0 ? AccessKind.READ : AccessKind.WRITE, key.hashCode() & 0xFFFF, writer);
        }
      });
      t.start();
      threads.add(t);
    }
    AtomicLong checked = new AtomicLong();
    start.countDown();
    boolean running = true;
    while (running) {
      running = threads.stream().anyMatch(Thread::isAlive);
      log.drain(r -> {
        int writer = Integer.parseInt(r.key().substring(1, r.key().indexOf('-')));
        assertEquals(r.key().length(), r.timeMillis());
        assertEquals(KeyHash.of(r.key()), r.keyHash());
        assertEquals(writer % 2 == 0 ? AccessKind.READ : AccessKind.WRITE, r.kind());
        assertEquals(r.key().hashCode() & 0xFFFF, r.bytes());
        assertEquals(writer, r.clientId());
        checked.incrementAndGet();
      });
    }
    assertTrue(checked.get() > 0);
    assertTrue(checked.get() + log.overwritten() <= (long) writers * perWriter);
  }

  @Test
  void theRecorderCountsEveryAccessForItsRangeAndSamples() {
    ShardMap map = ShardMap.initial(4, "standard");
    AccessRecorder recorder = new AccessRecorder(map, new AccessLog(1 << 16), 10, () -> 42L);
    long[] reads = new long[4];
    long[] writes = new long[4];
    for (int i = 0; i < 20_000; i++) {
      String key = "user:" + i;
      long hash = KeyHash.of(key);
      AccessKind kind = i % 3 == 0 ? AccessKind.WRITE : AccessKind.READ;
      recorder.record(key, hash, kind, 100, 1);
      (kind == AccessKind.READ ? reads : writes)[map.indexOf(hash)]++;
    }
    for (int r = 0; r < 4; r++) {
      RangeLoadCounters.Snapshot s = recorder.counters(r).takeSnapshot();
      assertEquals(reads[r], s.reads());
      assertEquals(writes[r], s.writes());
      assertEquals(writes[r] * 100, s.bytesIn());
      assertEquals(reads[r] * 100, s.bytesOut());
      assertEquals(new RangeLoadCounters.Snapshot(0, 0, 0, 0, 0, 0), recorder.counters(r).takeSnapshot());
    }
    int sampled = recorder.log().drain(r -> assertEquals(42L, r.timeMillis()));
    long hash = map.placements().get(2).range().start();
    for (int micros = 1; micros <= 1000; micros++) {
      recorder.recordLatency(hash, micros);
    }
    RangeLoadCounters.Snapshot latency = recorder.counters(2).takeSnapshot();
    assertEquals(500, latency.p50Micros(), 1);
    assertEquals(990, latency.p99Micros(), 1);
    assertEquals(0, recorder.counters(2).takeSnapshot().p99Micros());
    assertTrue(sampled > 1500 && sampled < 2500, "about 1 in 10 sampled: " + sampled);
  }
}
