package dev.saerl.streams.stats;

import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.StepFeatures;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The statistics recomputed in one batch pass from the input records, written independently of the
 * topology's incremental code, for tests to compare against. Grouped as the topology groups them: per
 * (dataset, model version, SAE) of each sample's features record, never pooled across versions; a query
 * with samples of two versions is two queries here, one per version.
 */
public final class Recomputation {
  public final Map<String, double[]> features = new TreeMap<>(); // "dataset/model/sae/feature" -> FeatureSums layout
  public final Map<String, long[]> totals = new TreeMap<>(); // "dataset/model/sae" -> {correct, incorrect, paired}

  public static Recomputation of(Collection<Query> queries, Collection<Generation> generations,
                                 Collection<SampleFeatures> features) {
    Map<String, Query> byId = new HashMap<>();
    queries.forEach(q -> byId.put(q.getQueryId(), q));
    Map<String, Boolean> verdicts = new HashMap<>();
    for (Generation g : generations) {
      Query q = byId.get(g.getQueryId());
      if (q != null && q.getSplit() == Split.KNOWN) {
        verdicts.put(g.getSampleId(), Verifier.verify(q.getReferenceAnswer(), g.getCompletion()).correct());
      }
    }
    // (query, version) -> sample -> feature -> peak
    Map<String, Map<String, Map<Integer, Double>>> byQuery = new TreeMap<>();
    Map<String, String> scopeOf = new HashMap<>();
    for (SampleFeatures f : features) {
      if (f.getSplit() != Split.KNOWN || !verdicts.containsKey(f.getSampleId())) {
        continue;
      }
      Map<Integer, Double> peak = new HashMap<>();
      for (StepFeatures s : f.getSteps()) {
        for (int i = 0; i < s.getFeatureIds().size(); i++) {
          double a = s.getMaxActivations().get(i);
          if (a > 0) {
            peak.merge(s.getFeatureIds().get(i), a, Math::max);
          }
        }
      }
      String scope = new StatsScope(f.getDataset(), f.getModelVersion(), f.getSaeId()).key();
      String group = f.getQueryId() + "\u0000" + scope;
      byQuery.computeIfAbsent(group, k -> new TreeMap<>()).put(f.getSampleId(), peak);
      scopeOf.put(group, scope);
    }
    Recomputation r = new Recomputation();
    for (var q : byQuery.entrySet()) {
      String scope = scopeOf.get(q.getKey());
      long[] t = r.totals.computeIfAbsent(scope, k -> new long[3]);
      int nC = 0;
      int nI = 0;
      Map<Integer, double[]> classSums = new HashMap<>(); // feature -> {sum correct, sum incorrect}
      for (var s : q.getValue().entrySet()) {
        boolean c = verdicts.get(s.getKey());
        if (c) {
          nC++;
        } else {
          nI++;
        }
        for (var e : s.getValue().entrySet()) {
          double[] f = r.features.computeIfAbsent(scope + "/" + e.getKey(), k -> new double[FeatureSums.WIDTH]);
          double a = e.getValue();
          f[c ? FeatureSums.ACTIVE_CORRECT : FeatureSums.ACTIVE_INCORRECT] += 1;
          f[c ? FeatureSums.SUM_CORRECT : FeatureSums.SUM_INCORRECT] += a;
          f[c ? FeatureSums.SUM_SQ_CORRECT : FeatureSums.SUM_SQ_INCORRECT] += a * a;
          classSums.computeIfAbsent(e.getKey(), k -> new double[2])[c ? 0 : 1] += a;
        }
      }
      t[0] += nC;
      t[1] += nI;
      if (nC > 0 && nI > 0) {
        t[2]++;
        for (var e : classSums.entrySet()) {
          double diff = e.getValue()[0] / nC - e.getValue()[1] / nI;
          double[] f = r.features.get(scope + "/" + e.getKey());
          f[FeatureSums.PAIRED_SUM_DIFF] += diff;
          f[FeatureSums.PAIRED_SUM_SQ_DIFF] += diff * diff;
        }
      }
    }
    return r;
  }

  /** Null when {@code actual} matches (counts exactly, sums to 1e-9 relative), else what differs. */
  public String differences(Map<String, double[]> actualFeatures, Map<String, long[]> actualTotals) {
    StringBuilder diff = new StringBuilder();
    for (var e : totals.entrySet()) {
      long[] a = actualTotals.get(e.getKey());
      if (a == null || !java.util.Arrays.equals(a, e.getValue())) {
        diff.append("totals ").append(e.getKey()).append(": expected ").append(java.util.Arrays.toString(e.getValue()))
            .append(" got ").append(a == null ? "nothing" : java.util.Arrays.toString(a)).append('\n');
      }
    }
    if (!actualTotals.keySet().equals(totals.keySet())) {
      diff.append("scopes: expected ").append(totals.keySet()).append(" got ").append(actualTotals.keySet()).append('\n');
    }
    for (var e : features.entrySet()) {
      double[] a = actualFeatures.get(e.getKey());
      if (a == null) {
        diff.append("missing ").append(e.getKey()).append('\n');
        continue;
      }
      for (int i = 0; i < FeatureSums.WIDTH; i++) {
        double x = e.getValue()[i];
        if (Math.abs(a[i] - x) > 1e-9 * Math.max(1, Math.abs(x))) {
          diff.append(e.getKey()).append(" field ").append(i).append(": expected ").append(x).append(" got ").append(a[i]).append('\n');
        }
      }
    }
    for (String k : actualFeatures.keySet()) {
      if (!features.containsKey(k)) {
        diff.append("unexpected ").append(k).append('\n');
      }
    }
    return diff.isEmpty() ? null : diff.toString();
  }
}
