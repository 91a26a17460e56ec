package dev.logshard.core.shard;

/**
 * A key's change as a Transfer copies it: a value, or a delete when {@code value} is null;
 * {@code sourceSeqNr} is the source event's sequence number (0 for snapshot entries).
 */
public record Change(String key, byte[] value, long version, long sourceSeqNr) {

  /** Key and value bytes (what a transfer copies and counts). */
  public long sizeInBytes() {
    return sizeOf(key, value);
  }

  public static long sizeOf(String key, byte[] value) {
    return key.length() + (value == null ? 0 : value.length);
  }
}
