package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.AddLogInstance;
import dev.logshard.actors.coordinator.CoordinatorCommand.GetDrainingNodes;
import dev.logshard.actors.coordinator.CoordinatorCommand.GetLogInstances;
import dev.logshard.actors.coordinator.CoordinatorCommand.GetPlan;
import dev.logshard.actors.coordinator.CoordinatorCommand.LogInstanceAdded;
import dev.logshard.actors.coordinator.CoordinatorCommand.SetDraining;
import dev.logshard.actors.coordinator.CoordinatorCommand.SetNodeDraining;
import dev.logshard.actors.coordinator.CoordinatorCommand.SetPlannerMode;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.slf4j.Logger;

/**
 * The Coordinator's admin commands for the planner, answered alike before and after the map
 * exists: its mode and rounds, the log instances (added at runtime, drained) and the nodes
 * (drained). Not an actor: the Coordinator registers these handlers and runs them on its thread.
 */
final class PlannerAdmin {

  private final Planning planning;
  private final EffectFactories<CoordinatorEvent, CoordinatorState> effects;
  private final Logger log;

  PlannerAdmin(Planning planning, EffectFactories<CoordinatorEvent, CoordinatorState> effects, Logger log) {
    this.planning = planning;
    this.effects = effects;
    this.log = log;
  }

  CommandHandlerWithReplyBuilderByState<CoordinatorCommand, CoordinatorEvent, CoordinatorState, CoordinatorState>
      register(CommandHandlerWithReplyBuilderByState<CoordinatorCommand, CoordinatorEvent, CoordinatorState,
          CoordinatorState> builder) {
    return builder
        .onCommand(GetPlan.class, (state, cmd) -> effects.reply(cmd.replyTo(), planning.view(state)))
        .onCommand(SetPlannerMode.class, this::onSetPlannerMode)
        .onCommand(GetLogInstances.class, (state, cmd) -> effects.reply(cmd.replyTo(), planning.instances(state)))
        .onCommand(SetDraining.class, this::onSetDraining)
        .onCommand(AddLogInstance.class, this::onAddLogInstance)
        .onCommand(GetDrainingNodes.class, (state, cmd) -> effects.reply(cmd.replyTo(), planning.drainingNodes(state)))
        .onCommand(SetNodeDraining.class, this::onSetNodeDraining);
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onSetPlannerMode(CoordinatorState state, SetPlannerMode cmd) {
    planning.setMode(cmd.mode());
    log.info("Planner mode set to {}", cmd.mode());
    return effects.reply(cmd.replyTo(), planning.view(state));
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onSetDraining(CoordinatorState state, SetDraining cmd) {
    log.info("Log instance {} {}", cmd.instance(), cmd.draining() ? "to be drained" : "no longer drained");
    return effects.persist(new CoordinatorEvent.DrainingSet(cmd.instance(), cmd.draining()))
        .thenReply(cmd.replyTo(), planning::instances);
  }

  /** Prepares the new instance's storage here first (the sagas run here), then journals it. */
  private ReplyEffect<CoordinatorEvent, CoordinatorState> onAddLogInstance(CoordinatorState state, AddLogInstance cmd) {
    LogInstanceAdded refused = planning.admit(state, cmd.instance());
    if (refused != null) {
      log.warn("Log instance {} not added: {}", cmd.instance().name(), refused.refusal());
      return effects.reply(cmd.replyTo(), refused);
    }
    log.info("Log instance {} added ({} tier)", cmd.instance().name(), cmd.instance().tier());
    return effects.persist(new CoordinatorEvent.InstanceAdded(cmd.instance()))
        .thenReply(cmd.replyTo(), next -> new LogInstanceAdded(planning.instances(next), null, false));
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onSetNodeDraining(CoordinatorState state,
      SetNodeDraining cmd) {
    log.info("Node {} {}", cmd.node(), cmd.draining() ? "to be drained" : "no longer drained");
    return effects.persist(new CoordinatorEvent.NodeDrainingSet(cmd.node(), cmd.draining()))
        .thenReply(cmd.replyTo(), planning::drainingNodes);
  }
}
