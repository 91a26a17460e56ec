package dev.logshard.core;

import java.nio.charset.StandardCharsets;
import net.openhft.hashing.LongHashFunction;

/**
 * The position of a key on the ring: XXH3 64-bit (seed 0) of the key's UTF-8 bytes, read as an
 * unsigned number in {@code [0, 2^64)}. Stable across processes and versions: it decides which
 * range, and so which journal, holds a key.
 */
public final class KeyHash {

  private static final LongHashFunction XXH3 = LongHashFunction.xx3();

  private KeyHash() {}

  public static long of(String key) {
    return of(key.getBytes(StandardCharsets.UTF_8));
  }

  public static long of(byte[] utf8Key) {
    return XXH3.hashBytes(utf8Key);
  }
}
