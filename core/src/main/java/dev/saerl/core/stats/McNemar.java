package dev.saerl.core.stats;

import org.apache.commons.math3.distribution.BinomialDistribution;

/**
 * The exact McNemar test for two arms scored on the same items (same samples, same random
 * streams): only the discordant pairs count, {@code b} items right under the first arm and wrong
 * under the second, {@code c} the reverse; under the null each discordant pair goes either way with
 * probability one half.
 */
public final class McNemar {
  private McNemar() {}

  /** Two-sided exact p-value: twice the smaller binomial tail, at most 1. 1 when there is no discordant pair. */
  public static double twoSided(int b, int c) {
    check(b, c);
    int n = b + c;
    if (n == 0) {
      return 1.0;
    }
    return Math.min(1.0, 2 * new BinomialDistribution(null, n, 0.5).cumulativeProbability(Math.min(b, c)));
  }

  /** One-sided exact p-value for "the first arm is right more often": P(X >= b), X ~ Binomial(b + c, 1/2). */
  public static double greater(int b, int c) {
    check(b, c);
    int n = b + c;
    if (n == 0) {
      return 1.0;
    }
    return b == 0 ? 1.0 : 1 - new BinomialDistribution(null, n, 0.5).cumulativeProbability(b - 1);
  }

  /** The discordant counts (b, c) of two arms' per-item outcomes. */
  public static int[] discordant(boolean[] first, boolean[] second) {
    if (first.length != second.length) {
      throw new IllegalArgumentException(first.length + " outcomes against " + second.length + ": the arms must score the same items");
    }
    int b = 0;
    int c = 0;
    for (int i = 0; i < first.length; i++) {
      b += first[i] && !second[i] ? 1 : 0;
      c += !first[i] && second[i] ? 1 : 0;
    }
    return new int[] {b, c};
  }

  private static void check(int b, int c) {
    if (b < 0 || c < 0) {
      throw new IllegalArgumentException("discordant counts must be non-negative, got " + b + " and " + c);
    }
  }
}
