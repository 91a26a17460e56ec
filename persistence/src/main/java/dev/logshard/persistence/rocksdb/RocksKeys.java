package dev.logshard.persistence.rocksdb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How a log instance's RocksDB keys are laid out, so that one persistence id's entries are
 * contiguous and in sequence-number order: the id's UTF-8 bytes, a zero byte (no id byte sorts
 * below it, so "a" and "ab" never interleave), then the sequence number big-endian (and, for a
 * snapshot, its timestamp after it). Sequence numbers and timestamps are never negative.
 */
final class RocksKeys {

  private RocksKeys() {}

  /** A persistence id's prefix: its bytes and the separator. */
  static byte[] prefix(String persistenceId) {
    byte[] id = persistenceId.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(id, id.length + 1);
  }

  /** The key of event {@code seqNr} of {@code persistenceId}. */
  static byte[] event(byte[] prefix, long seqNr) {
    return ByteBuffer.allocate(prefix.length + Long.BYTES).put(prefix).putLong(seqNr).array();
  }

  /** The key of a snapshot at {@code seqNr} taken at {@code timestamp}. */
  static byte[] snapshot(byte[] prefix, long seqNr, long timestamp) {
    return ByteBuffer.allocate(prefix.length + 2 * Long.BYTES).put(prefix).putLong(seqNr).putLong(timestamp).array();
  }

  /** Whether {@code key} belongs to the persistence id of {@code prefix}. */
  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** The sequence number in an event or snapshot key. */
  static long seqNr(byte[] key, byte[] prefix) {
    return ByteBuffer.wrap(key, prefix.length, Long.BYTES).getLong();
  }

  /** The timestamp in a snapshot key. */
  static long timestamp(byte[] key, byte[] prefix) {
    return ByteBuffer.wrap(key, prefix.length + Long.BYTES, Long.BYTES).getLong();
  }

  static byte[] longValue(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  static long longOf(byte[] value) {
    return value == null ? 0 : ByteBuffer.wrap(value).getLong();
  }
}
