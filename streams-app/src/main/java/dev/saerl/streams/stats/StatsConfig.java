package dev.saerl.streams.stats;

import java.time.Duration;

/**
 * How statistics are ranked and plans chosen.
 *
 * @param minSupport a feature active in fewer labelled samples than this is not ranked
 * @param minPairedQueries fewer queries with both classes than this: the paired contrast is too thin to rank on
 * @param maxPresence a feature active in a larger share of samples than this is not ranked (it marks everything)
 * @param alpha family-wise error of the lower confidence bounds that rank features: each bound is one-sided at
 *     alpha / (number of ranked features), Bonferroni, since a dataset ranks about a thousand features at once
 * @param topK features in a plan
 * @param minPlanSamples labelled samples a dataset needs before it gets a plan
 * @param strength coefficient = strength x the feature's mean activation when active
 * @param minJaccard a new plan is published when its feature set's Jaccard similarity to the last one falls below this,
 * @param maxCoefficientChange or when a shared feature's coefficient moves by more than this fraction
 * @param examplesPerFeature top activating steps kept per feature
 * @param publishInterval how often changed datasets republish their statistics and reconsider their plan
 */
public record StatsConfig(int minSupport, int minPairedQueries, double maxPresence, double alpha, int topK,
                          int minPlanSamples, double strength, double minJaccard, double maxCoefficientChange,
                          int examplesPerFeature, Duration publishInterval) {
  public static final StatsConfig DEFAULTS =
      new StatsConfig(10, 5, 0.95, 0.05, 8, 40, 1.0, 0.75, 0.25, 8, Duration.ofSeconds(2));

  public StatsConfig withPublishInterval(Duration d) {
    return new StatsConfig(minSupport, minPairedQueries, maxPresence, alpha, topK, minPlanSamples, strength, minJaccard,
        maxCoefficientChange, examplesPerFeature, d);
  }
}
