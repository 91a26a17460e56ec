package dev.logshard.http;

import dev.logshard.actors.rangeshard.LogShardSettings;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Checks of keys, values and preconditions against the configured limits. */
final class Inputs {

  private final LogShardSettings limits;

  Inputs(LogShardSettings limits) {
    this.limits = limits;
  }

  void checkKey(String key) throws BadRequest {
    if (key.isEmpty()) {
      throw BadRequest.of("the key must not be empty");
    }
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > limits.maxKeyBytes()) {
      throw BadRequest.of("the key has " + bytes + " UTF-8 bytes; at most " + limits.maxKeyBytes() + " are allowed");
    }
  }

  void checkValue(long size) throws BadRequest {
    if (size > limits.maxValueBytes()) {
      throw BadRequest.tooLarge("the value has " + size + " bytes; at most " + limits.maxValueBytes() + " are allowed");
    }
  }

  int maxValueBytes() {
    return limits.maxValueBytes();
  }

  int maxBatchOperations() {
    return limits.maxBatchOperations();
  }

  private static final int OPERATION_OVERHEAD_BYTES = KvReply.BATCH_BYTES_PER_OPERATION;

  /**
   * Refuses (413) a batch whose part for one range of {@code map} is over
   * {@code limits.max-batch-bytes-per-range}: that part is one message to the range's node.
   */
  void checkRangeParts(List<Operation> operations, ShardMap map) throws BadRequest {
    Map<String, Long> bytesByRange = new HashMap<>();
    for (Operation op : operations) {
      long bytes = op.key().getBytes(StandardCharsets.UTF_8).length + OPERATION_OVERHEAD_BYTES
          + (op.value() == null ? 0 : op.value().length);
      String rangeId = map.lookup(KeyHash.of(op.key())).rangeId();
      long total = bytesByRange.merge(rangeId, bytes, Long::sum);
      if (total > limits.maxBatchBytesPerRange()) {
        throw BadRequest.tooLarge("the batch's operations on range " + rangeId + " carry more than "
            + limits.maxBatchBytesPerRange() + " bytes (keys, values and " + OPERATION_OVERHEAD_BYTES
            + " per operation; logshard.limits.max-batch-bytes-per-range): a range's part of a batch is one message "
            + "between nodes; split the batch. Nothing was applied");
      }
    }
  }

  /**
   * The precondition of a write from {@code If-Match} ({@code "<version>"} or {@code *}) and
   * {@code If-None-Match} (only {@code *}).
   */
  static Expectation expectation(Optional<String> ifMatch, Optional<String> ifNoneMatch) throws BadRequest {
    if (ifMatch.isPresent() && ifNoneMatch.isPresent()) {
      throw BadRequest.of("send If-Match or If-None-Match, not both");
    }
    if (ifNoneMatch.isPresent()) {
      if (!ifNoneMatch.get().trim().equals("*")) {
        throw BadRequest.of("If-None-Match supports only *, meaning: create, the key must not exist");
      }
      return Expectation.absent();
    }
    if (ifMatch.isEmpty()) {
      return Expectation.any();
    }
    String tag = ifMatch.get().trim();
    if (tag.equals("*")) {
      return Expectation.present();
    }
    return Expectation.version(parseVersion(tag, "If-Match"));
  }

  /** A version as sent back in an ETag: {@code "5"}; the bare number is accepted too. */
  static long parseVersion(String tag, String where) throws BadRequest {
    String unquoted = tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")
        ? tag.substring(1, tag.length() - 1) : tag;
    try {
      long version = Long.parseLong(unquoted);
      if (version >= 1) {
        return version;
      }
    } catch (NumberFormatException e) {
      // fall through to the problem below
    }
    throw BadRequest.of(where + " must be a version from an ETag, like \"5\", or *; got " + tag);
  }
}
