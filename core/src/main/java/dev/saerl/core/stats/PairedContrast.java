package dev.saerl.core.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paired within-query contrast of feature activations between correct and incorrect samples:
 * per query with samples of both classes, the difference of the feature's mean activation (correct
 * minus incorrect); across those queries, the mean difference, its standard error and their ratio
 * t. Pairing by query removes what the prompt alone decides, so what is left is what differs
 * between the model's own right and wrong continuations of the same question.
 */
public final class PairedContrast {
  /** One feature's contrast over {@code queries} paired queries. */
  public record Feature(int feature, double meanDifference, double standardError, double t, int queries) {}

  private PairedContrast() {}

  /**
   * @param query each sample's query (its pairing unit)
   * @param correct each sample's verdict
   * @param activations each sample's dense feature activations, all of one width
   * @param minQueries a feature is ranked only over at least this many paired queries (and 2)
   * @return every feature with a defined contrast, largest |t| first (ties: smaller id first)
   */
  public static List<Feature> rank(int[] query, boolean[] correct, float[][] activations, int minQueries) {
    int n = query.length;
    if (correct.length != n || activations.length != n) {
      throw new IllegalArgumentException(n + " queries, " + correct.length + " verdicts, " + activations.length + " activation rows");
    }
    int width = n == 0 ? 0 : activations[0].length;
    Map<Integer, List<Integer>> byQuery = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      if (activations[i].length != width) {
        throw new IllegalArgumentException("activation row " + i + " has " + activations[i].length + " features, row 0 has " + width);
      }
      byQuery.computeIfAbsent(query[i], k -> new ArrayList<>()).add(i);
    }
    List<double[]> diffs = new ArrayList<>(); // per paired query: correct mean - incorrect mean, per feature
    for (List<Integer> rows : byQuery.values()) {
      double[] sumC = new double[width];
      double[] sumW = new double[width];
      int nc = 0;
      int nw = 0;
      for (int i : rows) {
        double[] acc = correct[i] ? sumC : sumW;
        for (int f = 0; f < width; f++) {
          acc[f] += activations[i][f];
        }
        nc += correct[i] ? 1 : 0;
        nw += correct[i] ? 0 : 1;
      }
      if (nc == 0 || nw == 0) {
        continue;
      }
      double[] d = new double[width];
      for (int f = 0; f < width; f++) {
        d[f] = sumC[f] / nc - sumW[f] / nw;
      }
      diffs.add(d);
    }
    int m = diffs.size();
    List<Feature> out = new ArrayList<>();
    if (m < Math.max(2, minQueries)) {
      return out;
    }
    for (int f = 0; f < width; f++) {
      double mean = 0;
      for (double[] d : diffs) {
        mean += d[f];
      }
      mean /= m;
      double ss = 0;
      for (double[] d : diffs) {
        ss += (d[f] - mean) * (d[f] - mean);
      }
      double se = Math.sqrt(ss / (m - 1) / m);
      if (mean == 0 && se == 0) {
        continue; // never active in a paired query: no contrast to rank
      }
      double t = se == 0 ? Math.copySign(Double.POSITIVE_INFINITY, mean) : mean / se;
      out.add(new Feature(f, mean, se, t, m));
    }
    out.sort(Comparator.comparingDouble((Feature x) -> -Math.abs(x.t())).thenComparingInt(Feature::feature));
    return out;
  }
}
