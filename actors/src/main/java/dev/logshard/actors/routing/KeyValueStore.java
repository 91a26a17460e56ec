package dev.logshard.actors.routing;

import dev.logshard.core.Expectation;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The data path as the HTTP API (and an embedding service) sees it. A stage fails with a
 * {@link java.util.concurrent.TimeoutException} when the owning RangeShard does not answer in time.
 */
public interface KeyValueStore {

  /** No client id: the profiler does not follow the caller's accesses across ranges. */
  int ANONYMOUS = 0;

  default CompletionStage<KvReply> get(String key) {
    return get(key, ANONYMOUS);
  }

  default CompletionStage<KvReply> put(String key, byte[] value, Expectation expect) {
    return put(key, value, expect, ANONYMOUS);
  }

  default CompletionStage<KvReply> delete(String key, Expectation expect) {
    return delete(key, expect, ANONYMOUS);
  }

  default CompletionStage<List<KvReply>> batch(List<Operation> operations) {
    return batch(operations, ANONYMOUS);
  }

  /** {@code clientId} names the caller for the profiler's co-access view ({@link #ANONYMOUS}: unknown). */
  CompletionStage<KvReply> get(String key, int clientId);

  CompletionStage<KvReply> put(String key, byte[] value, Expectation expect, int clientId);

  CompletionStage<KvReply> delete(String key, Expectation expect, int clientId);

  /** One reply per operation, in order; operations on one range are applied atomically. */
  CompletionStage<List<KvReply>> batch(List<Operation> operations, int clientId);

  ShardMap shardMap();
}
