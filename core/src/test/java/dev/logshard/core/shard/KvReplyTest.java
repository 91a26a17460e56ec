package dev.logshard.core.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class KvReplyTest {

  private static KvReply.Value value(int bytes) {
    return new KvReply.Value(new byte[bytes], 1);
  }

  @Test
  void aBatchAnswerThatFitsIsKeptAsItIs() {
    KvReply.Batch batch = new KvReply.Batch(List.of(value(1000), new KvReply.Written(2, false), value(1000)));
    assertSame(batch, KvReply.fitted(batch, 2000 + 3 * KvReply.BATCH_BYTES_PER_OPERATION));
  }

  @Test
  void valuesPastTheLimitAreAnsweredTooLargeInOrderAndWritesAndSmallerValuesAfterThemStay() {
    KvReply.Batch batch = new KvReply.Batch(List.of(value(600), value(600), new KvReply.Written(3, true), value(10),
        new KvReply.NotFound()));
    List<KvReply> fitted = KvReply.fitted(batch, 1000).results();
    assertEquals(5, fitted.size());
    assertEquals(600, assertInstanceOf(KvReply.Value.class, fitted.get(0)).value().length);
    assertInstanceOf(KvReply.TooLarge.class, fitted.get(1));
    assertInstanceOf(KvReply.Written.class, fitted.get(2));
    assertEquals(10, assertInstanceOf(KvReply.Value.class, fitted.get(3)).value().length, "it still fits");
    assertInstanceOf(KvReply.NotFound.class, fitted.get(4));
  }
}
