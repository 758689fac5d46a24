package dev.saerl.streams.fix;

import dev.saerl.core.ids.Sha256;
import dev.saerl.core.stats.McNemar;
import dev.saerl.core.stats.Wilson;
import dev.saerl.schemas.avro.Evaluation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fix rates of one dataset's corrections, counted by sample: per (model version, arm, strength), the
 * incorrect samples that arm attempted and the ones it fixed, and per (model version, arm) over all
 * strengths, the samples it fixed at any strength. Every other arm (the controls, the conditional
 * arm) is paired with the plan arm on the samples both attempted (at one strength: the same random
 * stream; over all strengths: fixed at any): wins (that arm fixed it, the plan did not), losses (the
 * reverse) and their exact McNemar p-value.
 * The demo's report counts the same way.
 * <p>
 * Built from {@link SampleFixes} with {@link #plus} and {@link #minus}, so a sample that gains an
 * attempt replaces its old contribution (Kafka Streams' table aggregation calls both).
 *
 * @param cells "model|arm|strength" (strength "all" over every strength) to {samples, fixed, wins, losses}
 */
public record FixRates(TreeMap<String, long[]> cells) {
  static final String ALL = "all";

  public static FixRates empty() {
    return new FixRates(new TreeMap<>());
  }

  public FixRates plus(SampleFixes s) {
    return add(s, 1);
  }

  public FixRates minus(SampleFixes s) {
    return add(s, -1);
  }

  private FixRates add(SampleFixes s, int sign) {
    TreeMap<String, long[]> next = new TreeMap<>();
    cells.forEach((k, v) -> next.put(k, v.clone()));
    TreeMap<String, Boolean> anyStrength = new TreeMap<>();
    s.outcomes().forEach((armStrength, fixed) -> anyStrength.merge(armStrength.split("\\|", 2)[0], fixed, Boolean::logicalOr));
    s.outcomes().forEach((armStrength, fixed) -> {
      String[] k = armStrength.split("\\|", 2);
      count(next, s.modelVersion() + "|" + armStrength, fixed, s.outcomes().get(SampleFixes.PLAN + "|" + k[1]), k[0], sign);
    });
    anyStrength.forEach((arm, fixed) ->
        count(next, s.modelVersion() + "|" + arm + "|" + ALL, fixed, anyStrength.get(SampleFixes.PLAN), arm, sign));
    next.values().removeIf(v -> v[0] == 0);
    return new FixRates(next);
  }

  private static void count(TreeMap<String, long[]> cells, String key, boolean fixed, Boolean plan, String arm, int sign) {
    long[] v = cells.computeIfAbsent(key, x -> new long[4]);
    v[0] += sign;
    v[1] += fixed ? sign : 0;
    if (plan != null && !arm.equals(SampleFixes.PLAN)) {
      v[2] += fixed && !plan ? sign : 0;
      v[3] += !fixed && plan ? sign : 0;
    }
  }

  /**
   * One Evaluation (metric fix_rate, trials = samples) per cell; arm is "plan" over all strengths, "plan@2.0" for
   * one. A control arm's row is paired with the plan's ({@code compared_to} "plan", wins, losses, p_value).
   */
  public List<Evaluation> evaluations(String dataset) {
    List<Evaluation> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : cells.entrySet()) {
      String[] k = e.getKey().split("\\|", 3);
      String arm = k[2].equals(ALL) ? k[1] : k[1] + "@" + k[2];
      long[] v = e.getValue();
      Wilson w = Wilson.of(v[1], v[0]);
      boolean paired = !k[1].equals(SampleFixes.PLAN) && cells.containsKey(k[0] + "|" + SampleFixes.PLAN + "|" + k[2]);
      out.add(Evaluation.newBuilder().setEvaluationId(id("fix_rate|" + k[0] + "|" + arm + "|" + dataset))
          .setMetric("fix_rate").setModelVersion(k[0]).setPlanVersion(null).setDataset(dataset).setArm(arm).setRound(0)
          .setTrials(v[0]).setSuccesses(v[1]).setRate(w.rate()).setCiLow(w.low()).setCiHigh(w.high()).setSeed(0)
          .setComparedTo(paired ? SampleFixes.PLAN : null).setWins(paired ? v[2] : null).setLosses(paired ? v[3] : null)
          .setPValue(paired ? McNemar.twoSided(Math.toIntExact(v[2]), Math.toIntExact(v[3])) : null).build());
    }
    return out;
  }

  static String id(String s) {
    return "e-" + Sha256.of(s).substring(0, 24);
  }
}
