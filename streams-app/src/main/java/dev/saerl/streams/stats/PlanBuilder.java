package dev.saerl.streams.stats;

import dev.saerl.core.ids.Sha256;
import dev.saerl.schemas.avro.SteeringPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses a dataset's steering plan: the top-K ranked features whose lower confidence bound of the
 * paired effect is positive, best first, each with a coefficient of its mean activation when active.
 * While no feature's bound is positive, the top-K by bound among those with a positive paired mean
 * (a tentative plan: its scores are negative).
 */
public final class PlanBuilder {
  public static final String DEFAULT_VARIANT = "default";

  private PlanBuilder() {}

  public static Optional<SteeringPlan> build(String dataset, DatasetTotals totals, List<FeatureMeasures> features,
                                             StatsConfig config) {
    if (totals.samples() < config.minPlanSamples()) {
      return Optional.empty();
    }
    Comparator<FeatureMeasures> best =
        Comparator.comparingDouble(FeatureMeasures::score).reversed().thenComparingInt(FeatureMeasures::featureId);
    List<FeatureMeasures> chosen = features.stream().filter(f -> f.ranked() && f.score() > 0).sorted(best)
        .limit(config.topK()).toList();
    if (chosen.isEmpty()) {
      // No feature is significant yet: the best ranked ones with a positive paired effect, so the
      // loop can steer and measure them against the control arms; their negative scores say how unsure.
      chosen = features.stream().filter(f -> f.ranked() && f.pairedMeanDiff() > 0).sorted(best).limit(config.topK()).toList();
    }
    if (chosen.isEmpty()) {
      return Optional.empty();
    }
    List<Integer> ids = new ArrayList<>();
    List<Float> coefficients = new ArrayList<>();
    List<Float> scores = new ArrayList<>();
    for (FeatureMeasures f : chosen) {
      ids.add(f.featureId());
      coefficients.add((float) (config.strength() * f.meanActive()));
      scores.add((float) f.score());
    }
    SteeringPlan plan = SteeringPlan.newBuilder().setPlanVersion("").setDataset(dataset).setVariant(DEFAULT_VARIANT)
        .setModelVersion(totals.modelVersion()).setSaeId(totals.saeId()).setHookLayer(totals.hookLayer())
        .setFeatureIds(ids).setCoefficients(coefficients).setScores(scores).setSamplesUsed(totals.samples()).build();
    plan.setPlanVersion(version(plan));
    return Optional.of(plan);
  }

  /** SHA-256 prefix of what a worker would apply: dataset, variant, model, SAE, layer, features, coefficients. */
  public static String version(SteeringPlan p) {
    StringBuilder s = new StringBuilder().append(p.getDataset()).append('|').append(p.getVariant()).append('|')
        .append(p.getModelVersion()).append('|').append(p.getSaeId()).append('|').append(p.getHookLayer());
    for (int i = 0; i < p.getFeatureIds().size(); i++) {
      s.append('|').append(p.getFeatureIds().get(i)).append(':').append(String.format("%.4f", p.getCoefficients().get(i)));
    }
    return "plan-" + Sha256.of(s.toString()).substring(0, 16);
  }

  /**
   * Whether {@code next} should replace {@code last}: first plan, another model/SAE/layer, a feature
   * set that moved (Jaccard below the threshold), or a shared feature's coefficient that moved too much.
   */
  public static boolean materiallyDifferent(SteeringPlan last, SteeringPlan next, StatsConfig config) {
    if (last == null) {
      return true;
    }
    if (!last.getModelVersion().equals(next.getModelVersion()) || !last.getSaeId().equals(next.getSaeId())
        || last.getHookLayer() != next.getHookLayer()) {
      return true;
    }
    Set<Integer> a = new HashSet<>(last.getFeatureIds());
    Set<Integer> b = new HashSet<>(next.getFeatureIds());
    Set<Integer> union = new HashSet<>(a);
    union.addAll(b);
    a.retainAll(b);
    if ((double) a.size() / union.size() < config.minJaccard()) {
      return true;
    }
    for (int f : a) {
      float before = last.getCoefficients().get(last.getFeatureIds().indexOf(f));
      float after = next.getCoefficients().get(next.getFeatureIds().indexOf(f));
      if (Math.abs(after - before) > config.maxCoefficientChange() * Math.abs(before)) {
        return true;
      }
    }
    return false;
  }
}
