package dev.saerl.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ProbeTest {
  @Test
  void aurocCountsOrderedPairsWithTiesAsHalf() {
    // positives 0.8, 0.4; negatives 0.5, 0.4, 0.1: pairs (p > n) = 0.8>all (3), 0.4>0.1 (1), 0.4=0.4 (0.5) -> 4.5 of 6
    double a = Auroc.of(new double[] {0.8, 0.4, 0.5, 0.4, 0.1}, new boolean[] {true, true, false, false, false});
    assertEquals(0.75, a, 1e-12);
    assertEquals(0.0, Auroc.of(new double[] {0, 1}, new boolean[] {true, false}), 1e-12);
    assertTrue(Double.isNaN(Auroc.of(new double[] {0, 1}, new boolean[] {true, true})));
  }

  @Test
  void aProbeFindsALabelCarriedByOneDirectionAmongNoiseAndNotOneThatIsAbsent() {
    Random r = new Random(3);
    int n = 400;
    int d = 32;
    double[][] x = new double[n][d];
    boolean[] y = new boolean[n];
    boolean[] noise = new boolean[n];
    int[] fold = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextBoolean();
      noise[i] = r.nextBoolean();
      fold[i] = i % 5;
      for (int j = 0; j < d; j++) {
        x[i][j] = r.nextGaussian() * 3;
      }
      // the label lives along (1, -1, 0, ...) / sqrt 2: class means 6 sqrt 2 apart against noise of sd 3,
      // so the best possible AUROC is Phi(2) = 0.977
      double shift = y[i] ? 3 : -3;
      x[i][0] += shift;
      x[i][1] -= shift;
    }
    double carried = LogisticProbe.crossValidatedAuroc(x, y, fold, 1.0);
    double absent = LogisticProbe.crossValidatedAuroc(x, noise, fold, 1.0);
    assertTrue(carried > 0.93, "AUROC " + carried);
    assertTrue(Math.abs(absent - 0.5) < 0.1, "AUROC " + absent + " for labels unrelated to the data");
  }
}
