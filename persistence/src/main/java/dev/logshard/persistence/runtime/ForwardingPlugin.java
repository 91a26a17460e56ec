package dev.logshard.persistence.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.persistence.Persistence;

/**
 * The node's journal or snapshot store plugin ({@code cfgPath} ends in {@code .journal} or
 * {@code .snapshot}) of a log instance whose plugins run in a system of their own
 * ({@link InstanceSystems}): every message goes on to the plugin with the same id there, with its
 * sender, and the replies come straight back (the same JVM: a local reference of either system is
 * told directly).
 */
public final class ForwardingPlugin extends AbstractActor {

  private final ActorRef target;

  public ForwardingPlugin(Config config, String cfgPath) {
    String shared = cfgPath.substring(0, cfgPath.lastIndexOf('.'));
    String journalId = shared + ".journal";
    String snapshotId = shared + ".snapshot";
    Persistence own = Persistence.get(InstanceSystems.get(getContext().getSystem())
        .systemFor(config, journalId, snapshotId));
    this.target = cfgPath.equals(journalId) ? own.journalFor(journalId, ConfigFactory.empty())
        : own.snapshotStoreFor(snapshotId, ConfigFactory.empty());
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder().matchAny(message -> target.forward(message, getContext())).build();
  }
}
