package dev.logshard.actors.profiler;

import dev.logshard.actors.coordinator.ClusterLoad;
import dev.logshard.actors.coordinator.CoordinatorCommand;
import dev.logshard.actors.support.Stages;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.NodeProfile;
import dev.logshard.core.profile.ProfileViews;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The node profiler's answers, and the cluster-wide load view the Coordinator keeps from every
 * node's profiler, as the HTTP API asks for them.
 */
public final class ProfilerView {

  private final ActorRef<Profiler.Command> profiler;
  private final ActorRef<CoordinatorCommand> coordinator;
  private final AccessRecorder recorder;
  private final Scheduler scheduler;
  private final Duration timeout;

  public ProfilerView(ActorRef<Profiler.Command> profiler, ActorRef<CoordinatorCommand> coordinator,
      AccessRecorder recorder, Scheduler scheduler, Duration timeout) {
    this.profiler = profiler;
    this.coordinator = coordinator;
    this.recorder = recorder;
    this.scheduler = scheduler;
    this.timeout = timeout;
  }

  /** Whether this node's request path records accesses. */
  public boolean recording() {
    return recorder.recording();
  }

  /** Pauses or resumes recording on this node's request path (the profiler keeps ticking). */
  public void setRecording(boolean recording) {
    recorder.setRecording(recording);
  }

  /** Names of the heatmap resolutions, in the order {@link #heatmap} takes them. */
  public static java.util.List<String> resolutions() {
    return NodeProfile.RESOLUTIONS.stream().map(r -> r.name()).toList();
  }

  /** Every node's load summed per range, and the persisted history's view of each range. */
  public CompletionStage<ClusterLoad.View> clusterLoad() {
    return Stages.adopt(AskPattern.ask(coordinator, CoordinatorCommand.GetClusterLoad::new, timeout, scheduler));
  }

  /** This node's load. */
  public CompletionStage<ProfileViews.LoadView> load() {
    return Stages.adopt(AskPattern.ask(profiler, Profiler.GetLoad::new, timeout, scheduler));
  }

  public CompletionStage<ProfileViews.HotKeysView> hotKeys(String rangeId) {
    return Stages.adopt(AskPattern.ask(profiler, r -> new Profiler.GetHotKeys(rangeId, r), timeout, scheduler));
  }

  public CompletionStage<ProfileViews.HeatmapView> heatmap(int resolution) {
    return Stages.adopt(AskPattern.ask(profiler, r -> new Profiler.GetHeatmap(resolution, r), timeout, scheduler));
  }

  public CompletionStage<ProfileViews.CorrelationsView> correlations() {
    return Stages.adopt(AskPattern.ask(profiler, Profiler.GetCorrelations::new, timeout, scheduler));
  }

  public CompletionStage<ProfileViews.AnomaliesView> anomalies() {
    return Stages.adopt(AskPattern.ask(profiler, Profiler.GetAnomalies::new, timeout, scheduler));
  }
}
