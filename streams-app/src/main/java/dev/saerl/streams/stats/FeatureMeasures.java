package dev.saerl.streams.stats;

/**
 * The derived statistics of one feature in one dataset, from its additive sums and the dataset's
 * totals. Undefined quantities (too few samples) are NaN.
 *
 * @param logOdds smoothed (+0.5) log-odds ratio of being active in correct vs incorrect samples
 * @param cohensD difference of mean max activation, correct minus incorrect, over the pooled SD
 * @param pairedMeanDiff mean over queries with both classes of (mean in correct - mean in incorrect)
 * @param presence share of labelled samples in which the feature is active
 * @param meanActive mean max activation over the samples where it is active (the plan's scale)
 * @param score lower confidence bound of the paired difference, in SDs of the activation, at the dataset's
 *     Bonferroni-corrected level ({@link #rankingZ}): what plans rank by
 * @param ranked whether the feature has the support to be ranked at all
 */
public record FeatureMeasures(int featureId, FeatureSums sums, DatasetTotals totals, double logOdds, double logOddsSe,
                              double cohensD, double pairedMeanDiff, double pairedSe, double presence,
                              double meanActive, double score, boolean ranked) {

  /** Whether a feature has the support to be ranked (independent of the other features). */
  public static boolean ranked(FeatureSums s, DatasetTotals t, StatsConfig config) {
    double n = t.samples();
    double active = s.activeCorrect() + s.activeIncorrect();
    return active >= config.minSupport() && t.pairedQueries() >= Math.max(2, config.minPairedQueries())
        && active <= config.maxPresence() * n;
  }

  /** The one-sided normal quantile for a family-wise error of alpha over {@code ranked} features. */
  public static double rankingZ(StatsConfig config, int ranked) {
    return Normal.quantile(1 - config.alpha() / Math.max(1, ranked));
  }

  public static FeatureMeasures of(int featureId, FeatureSums s, DatasetTotals t, StatsConfig config, double z) {
    double nC = t.samplesCorrect();
    double nI = t.samplesIncorrect();
    double aC = s.activeCorrect();
    double aI = s.activeIncorrect();
    double a = aC + 0.5;
    double b = nC - aC + 0.5;
    double c = aI + 0.5;
    double d = nI - aI + 0.5;
    double logOdds = Math.log(a * d / (b * c));
    double logOddsSe = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);

    double sumC = s.get(FeatureSums.SUM_CORRECT);
    double sumI = s.get(FeatureSums.SUM_INCORRECT);
    double ssC = nC > 0 ? s.get(FeatureSums.SUM_SQ_CORRECT) - sumC * sumC / nC : 0;
    double ssI = nI > 0 ? s.get(FeatureSums.SUM_SQ_INCORRECT) - sumI * sumI / nI : 0;
    double pooled = nC + nI > 2 ? Math.max(0, ssC + ssI) / (nC + nI - 2) : Double.NaN;
    double cohensD = nC > 0 && nI > 0 && pooled > 0 ? (sumC / nC - sumI / nI) / Math.sqrt(pooled) : Double.NaN;

    double p = t.pairedQueries();
    double pairedMean = p > 0 ? s.get(FeatureSums.PAIRED_SUM_DIFF) / p : Double.NaN;
    double pairedVar = p > 1 ? Math.max(0, s.get(FeatureSums.PAIRED_SUM_SQ_DIFF) - p * pairedMean * pairedMean) / (p - 1)
        : Double.NaN;
    double pairedSe = p > 1 ? Math.sqrt(pairedVar / p) : Double.NaN;

    double n = nC + nI;
    double active = aC + aI;
    double presence = n > 0 ? active / n : 0;
    double meanActive = active > 0 ? (sumC + sumI) / active : 0;
    double mean = n > 0 ? (sumC + sumI) / n : 0;
    double sumSq = s.get(FeatureSums.SUM_SQ_CORRECT) + s.get(FeatureSums.SUM_SQ_INCORRECT);
    double sd = n > 1 ? Math.sqrt(Math.max(0, sumSq - n * mean * mean) / (n - 1)) : 0;
    boolean ranked = ranked(s, t, config) && sd > 0 && pairedSe > 0; // no spread: no paired evidence
    double score = ranked ? (pairedMean - z * pairedSe) / sd : Double.NaN;
    return new FeatureMeasures(featureId, s, t, logOdds, logOddsSe, cohensD, pairedMean, pairedSe, presence, meanActive,
        score, ranked);
  }
}
