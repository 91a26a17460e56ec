package dev.logshard.core.shard;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.Expectation;
import java.util.Objects;

/** One get, put or delete of a key, as carried by a batch. {@code value} is null unless a put. */
public record Operation(Kind kind, String key, byte[] value, Expectation expect)
    implements CborSerializable {

  public enum Kind {
    GET,
    PUT,
    DELETE
  }

  public Operation {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(key, "key");
    expect = expect == null ? Expectation.any() : expect;
    if (kind == Kind.PUT) {
      Objects.requireNonNull(value, "a put needs a value");
    }
  }

  public static Operation get(String key) {
    return new Operation(Kind.GET, key, null, Expectation.any());
  }

  public static Operation put(String key, byte[] value, Expectation expect) {
    return new Operation(Kind.PUT, key, value, expect);
  }

  public static Operation delete(String key, Expectation expect) {
    return new Operation(Kind.DELETE, key, null, expect);
  }
}
