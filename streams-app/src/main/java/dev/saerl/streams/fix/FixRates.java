package dev.saerl.streams.fix;

import dev.saerl.core.ids.Sha256;
import dev.saerl.core.stats.Wilson;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fix rates of one dataset's corrections: per (model version, arm, strength) and per (model
 * version, arm) over all strengths, attempts and fixes. Each attempt is one trial; arms share the
 * seeds of each strength, so their rates are paired comparisons on the same draws.
 */
public record FixRates(TreeMap<String, long[]> cells) {
  static final String ALL = "all";

  public static FixRates empty() {
    return new FixRates(new TreeMap<>());
  }

  public FixRates plus(Correction c) {
    TreeMap<String, long[]> next = new TreeMap<>();
    cells.forEach((k, v) -> next.put(k, v.clone()));
    String arm = c.getArm().name().toLowerCase(java.util.Locale.ROOT);
    for (String strength : List.of(Float.toString(c.getStrength()), ALL)) {
      long[] v = next.computeIfAbsent(c.getModelVersion() + "|" + arm + "|" + strength, k -> new long[2]);
      v[0]++;
      v[1] += c.getFixed() ? 1 : 0;
    }
    return new FixRates(next);
  }

  /** One Evaluation (metric fix_rate) per cell; arm is "plan" over all strengths, "plan@2.0" for one. */
  public List<Evaluation> evaluations(String dataset) {
    List<Evaluation> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : cells.entrySet()) {
      String[] k = e.getKey().split("\\|", 3);
      String arm = k[2].equals(ALL) ? k[1] : k[1] + "@" + k[2];
      Wilson w = Wilson.of(e.getValue()[1], e.getValue()[0]);
      out.add(Evaluation.newBuilder().setEvaluationId(id("fix_rate|" + k[0] + "|" + arm + "|" + dataset))
          .setMetric("fix_rate").setModelVersion(k[0]).setPlanVersion(null).setDataset(dataset).setArm(arm).setRound(0)
          .setTrials(e.getValue()[0]).setSuccesses(e.getValue()[1]).setRate(w.rate()).setCiLow(w.low())
          .setCiHigh(w.high()).setSeed(0).build());
    }
    return out;
  }

  static String id(String s) {
    return "e-" + Sha256.of(s).substring(0, 24);
  }

}
