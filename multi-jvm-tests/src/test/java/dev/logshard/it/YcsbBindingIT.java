package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logshard.bench.ycsb.LogShardDB;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import site.ycsb.ByteIterator;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;

/** The YCSB binding against a real node: what BENCHMARKS.md's YCSB numbers rest on. */
class YcsbBindingIT {

  @TempDir
  Path work;

  private static Map<String, ByteIterator> fields(String... kv) {
    Map<String, ByteIterator> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], new StringByteIterator(kv[i + 1]));
    }
    return m;
  }

  private static Map<String, String> strings(Map<String, ByteIterator> m) {
    Map<String, String> s = new HashMap<>();
    m.forEach((k, v) -> s.put(k, v.toString()));
    return s;
  }

  @Test
  void insertReadUpdateAndDeleteKeepEveryField() throws Exception {
    try (NodeProcess node = NodeProcess.start(work.resolve("data")); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      LogShardDB db = new LogShardDB();
      Properties properties = new Properties();
      properties.setProperty("logshard.url", node.url());
      properties.setProperty("fieldcount", "3");
      db.setProperties(properties);
      db.init();

      assertEquals(Status.OK, db.insert("usertable", "user1", fields("field0", "a", "field1", "b", "field2", "c")));
      Map<String, ByteIterator> all = new HashMap<>();
      assertEquals(Status.OK, db.read("usertable", "user1", null, all));
      assertEquals(Map.of("field0", "a", "field1", "b", "field2", "c"), strings(all));

      // A partial update reads, merges and writes back with If-Match: the other fields stay.
      long before = db.requestsSent();
      assertEquals(Status.OK, db.update("usertable", "user1", fields("field1", "B")));
      assertEquals(2, db.requestsSent() - before, "a GET and a PUT");
      Map<String, ByteIterator> some = new HashMap<>();
      assertEquals(Status.OK, db.read("usertable", "user1", Set.of("field1", "field2"), some));
      assertEquals(Map.of("field1", "B", "field2", "c"), strings(some));
      // An update of every field is one PUT.
      before = db.requestsSent();
      assertEquals(Status.OK, db.update("usertable", "user1", fields("field0", "x", "field1", "y", "field2", "z")));
      assertEquals(1, db.requestsSent() - before, "one PUT, no read");
      all.clear();
      assertEquals(Status.OK, db.read("usertable", "user1", null, all));
      assertEquals(Map.of("field0", "x", "field1", "y", "field2", "z"), strings(all));

      assertEquals(Status.NOT_FOUND, db.update("usertable", "nobody", fields("field0", "q")));
      assertEquals(Status.NOT_FOUND, db.update("usertable", "nobody", fields("field0", "x", "field1", "y", "field2", "z")),
          "an update of every field does not create a record");
      assertEquals(Status.NOT_FOUND, db.read("usertable", "nobody", null, new HashMap<>()));
      assertEquals(Status.OK, db.delete("usertable", "user1"));
      assertEquals(Status.NOT_FOUND, db.read("usertable", "user1", null, new HashMap<>()));
      assertEquals(Status.NOT_FOUND, db.delete("usertable", "user1"));
      assertEquals(Status.NOT_IMPLEMENTED, db.scan("usertable", "user0", 10, null, new Vector<>()));
      db.cleanup();
    }
  }
  @Test
  void theBindingSendsItsTokenToANodeThatAsksForOne() throws Exception {
    try (NodeProcess node = NodeProcess.start(work.resolve("guarded"), List.of("-Dlogshard.http.data-token=ycsb-tok"));
        HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      for (String token : new String[] {null, "ycsb-tok"}) {
        LogShardDB db = new LogShardDB();
        Properties properties = new Properties();
        properties.setProperty("logshard.url", node.url());
        properties.setProperty("fieldcount", "1");
        properties.setProperty("logshard.token", token == null ? "" : token); // "": none, whatever the environment
        db.setProperties(properties);
        db.init();
        assertEquals(token == null ? Status.ERROR : Status.OK, db.insert("usertable", "user1", fields("field0", "a")),
            "token " + token);
        db.cleanup();
      }
    }
  }

}
