package dev.saerl.streams.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.SteeringPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeasuresAndPlansTest {
  static final StatsConfig CONFIG = StatsConfig.DEFAULTS;

  @Test
  void measuresMatchHandComputation() {
    // 10 correct samples (feature active in 6, activations sum 12, squares 30), 10 incorrect (active in 2, sum 2, sq 2);
    // 5 paired queries with differences summing to 5 and squares to 7.
    FeatureSums s = new FeatureSums(new double[] {6, 2, 12, 30, 2, 2, 5, 7});
    DatasetTotals t = new DatasetTotals(10, 10, 5, "m", "sae", 2);
    FeatureMeasures m = FeatureMeasures.of(1, s, t, CONFIG, 2.0);
    assertEquals(Math.log(6.5 * 8.5 / (4.5 * 2.5)), m.logOdds(), 1e-12);
    assertEquals(Math.sqrt(1 / 6.5 + 1 / 4.5 + 1 / 2.5 + 1 / 8.5), m.logOddsSe(), 1e-12);
    double pooled = ((30 - 144 / 10.0) + (2 - 4 / 10.0)) / 18;
    assertEquals((1.2 - 0.2) / Math.sqrt(pooled), m.cohensD(), 1e-12);
    assertEquals(1.0, m.pairedMeanDiff(), 1e-12);
    assertEquals(Math.sqrt((7 - 5 * 1.0) / 4 / 5), m.pairedSe(), 1e-12);
    assertEquals(0.4, m.presence(), 1e-12);
    assertEquals(14 / 8.0, m.meanActive(), 1e-12);
    assertFalse(m.ranked(), "8 active samples is below the minimum support of 10");
  }

  @Test
  void bonferroniQuantile() {
    assertEquals(1.6449, Normal.quantile(0.95), 1e-4);
    assertEquals(-2.3263, Normal.quantile(0.01), 1e-4);
    assertEquals(3.8906, FeatureMeasures.rankingZ(CONFIG, 1000), 1e-3);
  }

  static SteeringPlan plan(List<Integer> ids, List<Float> coefficients) {
    SteeringPlan p = SteeringPlan.newBuilder().setPlanVersion("").setDataset("d").setModelVersion("m").setSaeId("s")
        .setHookLayer(2).setFeatureIds(ids).setCoefficients(coefficients).setScores(coefficients).setSamplesUsed(1).build();
    p.setPlanVersion(PlanBuilder.version(p));
    return p;
  }

  @Test
  void materialChange() {
    SteeringPlan a = plan(List.of(1, 2, 3, 4), List.of(1f, 1f, 1f, 1f));
    assertTrue(PlanBuilder.materiallyDifferent(null, a, CONFIG));
    assertFalse(PlanBuilder.materiallyDifferent(a, plan(List.of(2, 1, 3, 4), List.of(1.1f, 1f, 1f, 1f)), CONFIG),
        "order and a 10% coefficient move are not material");
    assertTrue(PlanBuilder.materiallyDifferent(a, plan(List.of(1, 2, 3, 5), List.of(1f, 1f, 1f, 1f)), CONFIG),
        "one of four features swapped: Jaccard 3/5");
    assertTrue(PlanBuilder.materiallyDifferent(a, plan(List.of(1, 2, 3, 4), List.of(1f, 1f, 1.5f, 1f)), CONFIG));
    assertEquals(a.getPlanVersion(), plan(List.of(1, 2, 3, 4), List.of(1f, 1f, 1f, 1f)).getPlanVersion(), "deterministic");
  }
}
