package dev.saerl.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairedContrastTest {
  /**
   * Feature 0 is higher in correct samples of the same query (the planted signal); feature 1 is set by
   * the query alone and easy queries are mostly correct, so unpaired it would look as good; feature 2
   * is noise. Pairing by query must rank 0 first and leave 1 with no contrast.
   */
  @Test
  void pairingRanksTheWithinQuerySignalAndCancelsWhatTheQueryDecides() {
    Random rng = new Random(3);
    int queries = 40;
    int k = 8;
    int n = queries * k;
    int[] query = new int[n];
    boolean[] correct = new boolean[n];
    float[][] act = new float[n][3];
    for (int q = 0; q < queries; q++) {
      double easy = q % 2 == 0 ? 0.8 : 0.3;
      for (int i = 0; i < k; i++) {
        int j = q * k + i;
        query[j] = q;
        correct[j] = i == 0 || (i != 1 && rng.nextDouble() < easy); // every query has both classes
        act[j][0] = (float) ((correct[j] ? 1.0 : 0.0) + 0.3 * rng.nextGaussian());
        act[j][1] = (float) (q % 2 == 0 ? 5.0 : 0.0);
        act[j][2] = (float) rng.nextGaussian();
      }
    }
    List<PairedContrast.Feature> ranked = PairedContrast.rank(query, correct, act, 3);
    assertEquals(0, ranked.get(0).feature());
    assertEquals(queries, ranked.get(0).queries());
    assertEquals(1.0, ranked.get(0).meanDifference(), 0.15);
    assertTrue(ranked.get(0).t() > 10, "t " + ranked.get(0).t());
    assertTrue(ranked.stream().noneMatch(f -> f.feature() == 1), "a feature the query alone sets has no paired contrast");
    PairedContrast.Feature noise = ranked.stream().filter(f -> f.feature() == 2).findFirst().orElseThrow();
    assertTrue(Math.abs(noise.t()) < 3.5, "noise t " + noise.t());
  }

  @Test
  void queriesWithOneClassOnlyArePassedOver() {
    int[] query = {0, 0, 1, 1};
    boolean[] correct = {true, true, true, false};
    float[][] act = {{1}, {1}, {2}, {0}};
    assertTrue(PairedContrast.rank(query, correct, act, 2).isEmpty(), "one paired query is too few");
  }
}
