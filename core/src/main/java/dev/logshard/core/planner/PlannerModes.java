package dev.logshard.core.planner;

/**
 * What a planner mode means, in one place (the Coordinator and the simulation both ask it): which
 * rules plan a round ({@code baseline}: {@link CountBalancer}; {@code reactive} and
 * {@code predictive}: {@link Planner}), and which load a range is planned on.
 */
public final class PlannerModes {

  private final Planner planner;
  private final CountBalancer baseline;
  private final double errorMargin;

  public PlannerModes(PlannerSettings settings) {
    this.errorMargin = settings.forecastErrorMargin();
    this.planner = new Planner(settings);
    this.baseline = new CountBalancer(settings);
  }

  /** One round in {@code mode} (one of {@link PlannerSettings#MODES} but {@code off}). */
  public PlanRound plan(String mode, PlannerInput in) {
    return mode.equals("baseline") ? baseline.plan(in) : planner.plan(in);
  }

  /**
   * The requests per second a range is planned on: in {@code predictive} mode its forecast raised by
   * {@code forecast.error-margin} times the forecast's own measured error (its MAPE, a mean: a
   * forecast that has been 5 % off on average is planned 10 % higher at the default margin of 2, so
   * an instance is not filled to the brim of a forecast whose misses run wider than its mean miss),
   * once the forecast has its season (before that it is only the last step's rate, a lag);
   * otherwise, and until then, what was measured. (The planner then plans on the larger of the two.)
   */
  public double planned(String mode, double measured, double forecast, double forecastError, boolean forecastReady) {
    if (!mode.equals("predictive") || !forecastReady) {
      return measured;
    }
    return forecast * (1 + errorMargin * (Double.isNaN(forecastError) ? 0 : forecastError));
  }
}
