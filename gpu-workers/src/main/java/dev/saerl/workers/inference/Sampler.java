package dev.saerl.workers.inference;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Greedy, temperature and top-p choice of the next token. */
final class Sampler {
  private Sampler() {}

  static int next(float[] logits, float temperature, float topP, SplittableRandom rng) {
    if (temperature == 0f) {
      return argmax(logits);
    }
    int n = logits.length;
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp((logits[i] - max) / temperature);
      sum += p[i];
    }
    double keep = sum;
    if (topP < 1f) {
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      final double[] pp = p;
      Arrays.sort(order, (a, b) -> Double.compare(pp[b], pp[a]));
      double acc = 0;
      int cut = n;
      for (int i = 0; i < n; i++) {
        acc += p[order[i]];
        if (acc >= topP * sum) {
          cut = i + 1;
          break;
        }
      }
      keep = 0;
      for (int i = 0; i < cut; i++) {
        keep += p[order[i]];
      }
      for (int i = cut; i < n; i++) {
        p[order[i]] = 0;
      }
    }
    double u = rng.nextDouble() * keep;
    for (int i = 0; i < n; i++) {
      u -= p[i];
      if (u < 0 && p[i] > 0) {
        return i;
      }
    }
    return argmax(logits);
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
