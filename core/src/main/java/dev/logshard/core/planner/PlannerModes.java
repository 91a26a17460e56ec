package dev.logshard.core.planner;

/**
 * What a planner mode means, in one place (the Coordinator and the simulation both ask it): which
 * rules plan a round ({@code baseline}: {@link CountBalancer}; {@code reactive} and
 * {@code predictive}: {@link Planner}), and which load a range is planned on.
 */
public final class PlannerModes {

  private final Planner planner;
  private final CountBalancer baseline;

  public PlannerModes(PlannerSettings settings) {
    this.planner = new Planner(settings);
    this.baseline = new CountBalancer(settings);
  }

  /** One round in {@code mode} (one of {@link PlannerSettings#MODES} but {@code off}). */
  public PlanRound plan(String mode, PlannerInput in) {
    return mode.equals("baseline") ? baseline.plan(in) : planner.plan(in);
  }

  /**
   * The requests per second a range is planned on: in {@code predictive} mode its forecast, once
   * the forecast has its season (before that it is only the last step's rate, a lag); otherwise,
   * and until then, what was measured. (The planner then plans on the larger of the two.)
   */
  public static double planned(String mode, double measured, double forecast, boolean forecastReady) {
    return mode.equals("predictive") && forecastReady ? forecast : measured;
  }
}
