package dev.saerl.core.stats;

import java.util.Arrays;

/**
 * The area under the ROC curve of scores against binary labels: the probability that a random
 * positive scores above a random negative, ties counting one half (the Mann-Whitney U statistic
 * divided by n+ n-). NaN when a class is empty.
 */
public final class Auroc {
  private Auroc() {}

  public static double of(double[] scores, boolean[] positive) {
    int n = scores.length;
    if (positive.length != n) {
      throw new IllegalArgumentException(n + " scores but " + positive.length + " labels");
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
    double rankSumPositive = 0;
    long pos = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j < n && scores[order[j]] == scores[order[i]]) {
        j++;
      }
      double midRank = (i + 1 + j) / 2.0; // ranks i+1..j share their mean
      for (int k = i; k < j; k++) {
        if (positive[order[k]]) {
          rankSumPositive += midRank;
          pos++;
        }
      }
      i = j;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSumPositive - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }
}
