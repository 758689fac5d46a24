package dev.saerl.streams.stats;

import java.util.Arrays;

/**
 * The additive statistics of one feature: counts and sums that can be added and subtracted, so a
 * query's contribution can be replaced when its samples change. Counts are held as doubles (exact
 * below 2^53) so that a delta is one flat array.
 */
public final class FeatureSums {
  public static final int ACTIVE_CORRECT = 0;
  public static final int ACTIVE_INCORRECT = 1;
  public static final int SUM_CORRECT = 2;
  public static final int SUM_SQ_CORRECT = 3;
  public static final int SUM_INCORRECT = 4;
  public static final int SUM_SQ_INCORRECT = 5;
  public static final int PAIRED_SUM_DIFF = 6;
  public static final int PAIRED_SUM_SQ_DIFF = 7;
  public static final int WIDTH = 8;

  final double[] v;

  public FeatureSums() {
    this(new double[WIDTH]);
  }

  FeatureSums(double[] v) {
    if (v.length != WIDTH) {
      throw new IllegalArgumentException("FeatureSums needs " + WIDTH + " values, got " + v.length);
    }
    this.v = v;
  }

  public double get(int field) {
    return v[field];
  }

  void add(int field, double x) {
    v[field] += x;
  }

  /** Adds {@code sign} times {@code other} into this. */
  void accumulate(FeatureSums other, int sign) {
    for (int i = 0; i < WIDTH; i++) {
      v[i] += sign * other.v[i];
    }
  }

  public long activeCorrect() {
    return Math.round(v[ACTIVE_CORRECT]);
  }

  public long activeIncorrect() {
    return Math.round(v[ACTIVE_INCORRECT]);
  }

  /** True when every count is zero and every sum is zero up to rounding: nothing is left of the feature. */
  boolean isEmpty() {
    if (activeCorrect() != 0 || activeIncorrect() != 0) {
      return false;
    }
    for (int i = SUM_CORRECT; i < WIDTH; i++) {
      if (Math.abs(v[i]) > 1e-9) {
        return false;
      }
    }
    return true;
  }

  double[] values() {
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureSums f && Arrays.equals(v, f.v);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(v);
  }

  @Override
  public String toString() {
    return "FeatureSums" + Arrays.toString(v);
  }
}
