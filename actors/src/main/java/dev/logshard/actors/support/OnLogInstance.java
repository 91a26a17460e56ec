package dev.logshard.actors.support;

import com.typesafe.config.Config;
import dev.logshard.persistence.LogInstance;
import java.util.Optional;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;

/**
 * A persistent actor journaled on one log instance's plugins (the default plugins when it has
 * none: tests and embedding). The one place where LogShard's persistent actors name their plugins.
 */
public abstract class OnLogInstance<C, E, S> extends EventSourcedBehaviorWithEnforcedReplies<C, E, S> {

  /**
   * A journal plugin and a snapshot plugin ({@code ""} names the default one), and for an instance
   * added at runtime their config (null: in the actor system's config).
   */
  public record Plugins(String journal, String snapshot, Config config) {

    public static final Plugins DEFAULT = new Plugins("", "", null);

    public static Plugins of(LogInstance instance) {
      return instance == null ? DEFAULT
          : new Plugins(instance.journalPluginId(), instance.snapshotPluginId(), instance.pluginConfig());
    }

    /** Pekko's runtime plugin config: none for plugins in the actor system's config. */
    public Optional<Config> runtimeConfig() {
      return Optional.ofNullable(config);
    }
  }

  private final Plugins plugins;

  protected OnLogInstance(PersistenceId persistenceId, Plugins plugins) {
    super(persistenceId);
    this.plugins = plugins;
  }

  /** A journal failure restarts it with {@code backoff} (it recovers) instead of stopping it. */
  protected OnLogInstance(PersistenceId persistenceId, Plugins plugins, BackoffSupervisorStrategy backoff) {
    super(persistenceId, backoff);
    this.plugins = plugins;
  }

  protected Plugins plugins() {
    return plugins;
  }

  @Override
  public String journalPluginId() {
    return plugins.journal();
  }

  @Override
  public String snapshotPluginId() {
    return plugins.snapshot();
  }

  @Override
  public Optional<Config> journalPluginConfig() {
    return plugins.runtimeConfig();
  }

  @Override
  public Optional<Config> snapshotPluginConfig() {
    return plugins.runtimeConfig();
  }
}
