package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.workers.correct.Corrector;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.GroupAverages;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupAveragesTest {
  static Query query(String id) {
    return Query.newBuilder().setQueryId(id).setDataset("d").setGroupId("g1").setSplit(Split.KNOWN).setQuestion("?")
        .setReferenceAnswer("1").setFormat(SourceFormat.GENERIC).setSourceFile("f").setSourceLine(1).build();
  }

  static Corrector.Outcome outcome(float... change) {
    var critical = new CriticalSearch.Result(new float[] {0.5f}, 0, new int[] {0}, new float[] {0.5f}, 0, 4, 120, true);
    return new Corrector.Outcome(critical, List.of(), true, List.of(change));
  }

  @Test
  void averagesAcrossRephrasingsWithTheirCosineSpread() {
    SteeringPlan base = SteeringPlan.newBuilder().setPlanVersion("p").setDataset("d").setModelVersion("m").setSaeId("s")
        .setHookLayer(2).setFeatureIds(List.of(1)).setCoefficients(List.of(1f)).setScores(List.of(1f)).setSamplesUsed(1).build();
    GroupAverages averages = new GroupAverages(2);
    assertTrue(averages.add(query("q1"), base, outcome(1, 0, 0, 0)).isEmpty());
    assertTrue(averages.add(query("q1"), base, outcome(1, 1, 0, 0)).isEmpty(), "one rephrasing only so far");
    var updates = averages.add(query("q2"), base, outcome(1, 0, 1, -1));
    assertEquals(1, updates.size());
    SteeringPlan plan = updates.get(0).plan();
    assertEquals("group-averaged:g1", plan.getVariant());
    assertEquals(List.of(0, 1), plan.getFeatureIds(), "top 2 positive mean changes: feature 0 (1.0), then 1 and 2 (1/3) by id");
    assertEquals(1f, plan.getCoefficients().get(0), 1e-6);
    var spread = updates.get(0).spread();
    double c12 = 1 / Math.sqrt(2);
    double c13 = 1 / Math.sqrt(3);
    double c23 = 1 / Math.sqrt(6);
    assertEquals((c12 + c13 + c23) / 3, spread.getRate(), 1e-6);
    assertEquals(c23, spread.getCiLow(), 1e-6);
    assertEquals(3, spread.getTrials());
    assertEquals(2, spread.getSuccesses());
  }
}
