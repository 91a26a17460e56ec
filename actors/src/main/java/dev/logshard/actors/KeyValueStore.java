package dev.logshard.actors;

import dev.logshard.core.Expectation;
import dev.logshard.core.ShardMap;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The data path as the HTTP API (and an embedding service) sees it. A stage fails with a
 * {@link java.util.concurrent.TimeoutException} when the owning RangeShard does not answer in time.
 */
public interface KeyValueStore {

  CompletionStage<KvReply> get(String key);

  CompletionStage<KvReply> put(String key, byte[] value, Expectation expect);

  CompletionStage<KvReply> delete(String key, Expectation expect);

  /** One reply per operation, in order; operations on one range are applied atomically. */
  CompletionStage<List<KvReply>> batch(List<Operation> operations);

  ShardMap shardMap();
}
