package dev.saerl.core.stats;

import java.util.HashMap;
import java.util.Map;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.ranking.NaturalRanking;

/**
 * Two arms scored on the same queries, k samples per query on streams the arms share: EXPERIMENT.md's
 * primary statistic. Per query, pass@1 is the share of its k samples that are right; the arms are
 * compared by the mean difference over queries, its paired standard error, and the two-sided
 * Wilcoxon signed-rank test over queries: the queries whose two rates are equal dropped, ties ranked
 * by their average rank, the normal approximation with the variance corrected for ties and no
 * continuity correction (scipy's {@code wilcoxon(d, zero_method="wilcox", correction=False,
 * method="approx")}). Not commons-math3's {@code WilcoxonSignedRankTest}: it keeps the zero
 * differences, and its asymptotic p-value moves its continuity correction away from the mean, so
 * it is smaller than it should be.
 *
 * @param queries the queries compared
 * @param first mean pass@1 of the first arm
 * @param second mean pass@1 of the second arm
 * @param difference {@code first - second}
 * @param se the paired standard error of {@code difference} (NaN under two queries)
 * @param p two-sided p-value; 1 when no query differs
 */
public record PairedQueries(int queries, double first, double second, double difference, double se, double p) {

  /** {@code first[q]} and {@code second[q]}: query q's pass@1 under each arm. */
  public static PairedQueries of(double[] first, double[] second) {
    if (first.length != second.length) {
      throw new IllegalArgumentException(first.length + " queries against " + second.length + ": the arms must score the same queries");
    }
    int n = first.length;
    double[] d = new double[n];
    double a = 0;
    double b = 0;
    for (int q = 0; q < n; q++) {
      d[q] = first[q] - second[q];
      a += first[q] / n;
      b += second[q] / n;
    }
    double mean = a - b;
    double ss = 0;
    for (double x : d) {
      ss += (x - mean) * (x - mean);
    }
    double se = n < 2 ? Double.NaN : Math.sqrt(ss / (n - 1) / n);
    return new PairedQueries(n, a, b, mean, se, signedRankP(d));
  }

  /** Two-sided p of the signed-rank test on differences {@code d} (zeros dropped); 1 when none is left. */
  static double signedRankP(double[] d) {
    double[] nonzero = java.util.Arrays.stream(d).filter(x -> x != 0).toArray();
    int m = nonzero.length;
    if (m == 0) {
      return 1.0;
    }
    double[] abs = java.util.Arrays.stream(nonzero).map(Math::abs).toArray();
    double[] ranks = new NaturalRanking().rank(abs);
    double plus = 0;
    for (int i = 0; i < m; i++) {
      plus += nonzero[i] > 0 ? ranks[i] : 0;
    }
    Map<Double, Integer> tied = new HashMap<>();
    for (double x : abs) {
      tied.merge(x, 1, Integer::sum);
    }
    double ties = 0;
    for (int t : tied.values()) {
      ties += (double) t * t * t - t;
    }
    double expected = m * (m + 1) / 4.0;
    double variance = m * (m + 1) * (2 * m + 1) / 24.0 - ties / 48.0;
    if (variance <= 0) {
      return 1.0;
    }
    double z = (plus - expected) / Math.sqrt(variance);
    return Math.min(1.0, 2 * new NormalDistribution(null, 0, 1).cumulativeProbability(-Math.abs(z)));
  }

  /** Per query, the share of its {@code k} consecutive outcomes (query q's are {@code k*q .. k*q+k-1}) that are right. */
  public static double[] passAtOne(boolean[] outcomes, int k) {
    if (k <= 0 || outcomes.length % k != 0) {
      throw new IllegalArgumentException(outcomes.length + " outcomes are not whole queries of " + k + " samples");
    }
    double[] out = new double[outcomes.length / k];
    for (int i = 0; i < outcomes.length; i++) {
      out[i / k] += outcomes[i] ? 1.0 / k : 0;
    }
    return out;
  }
}
