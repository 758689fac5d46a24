package dev.saerl.core.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PairedQueriesTest {
  @Test
  void tenQueriesAllBetterGiveTheTextbookNormalApproximation() {
    // differences 1..10 (in tenths), all positive: W- = 0, E = 27.5, Var = 10*11*21/24 = 96.25,
    // z = -2.803, two-sided p = 0.00506 (scipy.stats.wilcoxon(d, correction=False, method="approx"): 0.005062032126267864)
    double[][] arms = tenBetterThen(0);
    PairedQueries r = PairedQueries.of(arms[0], arms[1]);
    assertEquals(0.005062032126267864, r.p(), 1e-9);
    assertEquals(0.055, r.difference(), 1e-12);
    assertEquals(10, r.queries());
  }

  @Test
  void queriesWithoutADifferenceAreDroppedFromTheRankTestButCountInTheMean() {
    double[][] arms = tenBetterThen(5);
    double[] first = arms[0];
    double[] second = arms[1];
    PairedQueries r = PairedQueries.of(first, second);
    assertEquals(0.005062032126267864, r.p(), 1e-9, "five ties leave the test on the ten queries that differ");
    assertEquals(0.55 / 15, r.difference(), 1e-12);
    PairedQueries swapped = PairedQueries.of(second, first);
    assertEquals(r.p(), swapped.p(), 1e-12);
    assertEquals(-r.difference(), swapped.difference(), 1e-12);
    assertEquals(1.0, PairedQueries.of(first, first).p());
  }

  /** Ten queries where the first arm is better by 0.01 .. 0.10, then {@code ties} queries at 0.5 in both. */
  private static double[][] tenBetterThen(int ties) {
    double[] first = new double[10 + ties];
    double[] second = new double[10 + ties];
    for (int q = 0; q < first.length; q++) {
      first[q] = q < 10 ? 0.05 + 0.09 * (q + 1) : 0.5;
      second[q] = q < 10 ? first[q] - 0.01 * (q + 1) : 0.5;
    }
    return new double[][] {first, second};
  }

  @Test
  void tiedDifferencesMatchScipy() {
    // scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False, method="approx"): p 0.08253120178277823
    double[] d = {0.25, 0.25, -0.125, 0.5, 0.25, 0.0625, -0.25, 0.5, 0.0, 0.125};
    assertEquals(0.08253120178277823, PairedQueries.signedRankP(d), 1e-12);
  }

  @Test
  void passAtOneIsTheShareOfEachQuerysSamples() {
    boolean[] outcomes = {true, false, false, false, true, true, true, true};
    assertArrayEquals(new double[] {0.25, 1.0}, PairedQueries.passAtOne(outcomes, 4), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> PairedQueries.passAtOne(outcomes, 3));
    assertThrows(IllegalArgumentException.class, () -> PairedQueries.of(new double[2], new double[3]));
  }
}
