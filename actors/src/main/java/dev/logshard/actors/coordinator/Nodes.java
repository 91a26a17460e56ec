package dev.logshard.actors.coordinator;

import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.actors.support.Stages;
import dev.logshard.persistence.lease.CassandraLease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster's nodes as operators name them: {@code host:port} of their cluster port. Says which
 * nodes are up (a transfer's {@code toNode} must be one) and which range generations each runs.
 */
public final class Nodes {

  /**
   * One member: its address, status, whether it is the node answering, the RangeShards it runs, and
   * (cluster mode) the leases it holds in Cassandra.
   */
  public record Node(String address, String status, boolean self, List<String> entityIds, List<String> leases) {}

  private final ActorSystem<?> system;
  private final Duration timeout;

  public Nodes(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  /** {@code host:port} of a member's address. */
  public static String name(Address address) {
    return address.getHost().orElse("?") + ":" + address.getPort().map(String::valueOf).orElse("?");
  }

  /** The member address that {@code host:port} names, in {@code system}'s cluster. */
  public static Address address(ActorSystem<?> system, String node) {
    int colon = node.lastIndexOf(':');
    return new Address("pekko", system.name(), node.substring(0, colon), Integer.parseInt(node.substring(colon + 1)));
  }

  /** Nodes that can take ranges now: members that are up. */
  public Set<String> up() {
    Set<String> up = new TreeSet<>();
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (member.status() == MemberStatus.up()) {
        up.add(name(member.address()));
      }
    }
    return up;
  }

  /**
   * Every member with the RangeShards it runs (those that answered within the timeout) and the
   * leases the lease table says it holds (none if the table could not be read in time).
   */
  public CompletionStage<List<Node>> describe() {
    Address self = Cluster.get(system).selfMember().address();
    CompletableFuture<Map<String, String>> leases = Stages.adopt(CassandraLease.owners(Adapter.toClassic(system)))
        .completeOnTimeout(Map.of(), timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(failure -> Map.of());
    return Stages.adopt(AskPattern.<GetClusterShardingStats, ClusterShardingStats>ask(
            ClusterSharding.get(system).shardState().narrow(),
            replyTo -> new GetClusterShardingStats(RangeShardEntity.ENTITY_KEY, timeout, replyTo),
            timeout.plus(timeout), system.scheduler()))
        .thenCombine(leases, (stats, owners) -> {
          Map<String, List<String>> hosted = new TreeMap<>();
          stats.getRegions().forEach((address, region) ->
              hosted.put(name(address), region.getStats().keySet().stream().sorted().toList()));
          List<Node> nodes = new ArrayList<>();
          for (Member member : Cluster.get(system).state().getMembers()) {
            String name = name(member.address());
            String owner = "@" + name; // owners are system@host:port
            List<String> held = owners.entrySet().stream().filter(e -> e.getValue() != null && e.getValue().endsWith(owner))
                .map(Map.Entry::getKey).sorted().toList();
            nodes.add(new Node(name, member.status().toString(), member.address().equals(self),
                hosted.getOrDefault(name, List.of()), held));
          }
          nodes.sort(Comparator.comparing(Node::address));
          return nodes;
        });
  }
}
