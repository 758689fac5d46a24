package dev.saerl.streams.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/** Every sample of one KNOWN query the statistics have seen (of every model version), sorted by sample id. */
public record QueryState(String queryId, String dataset, List<SampleObservation> samples) {

  static QueryState empty(String queryId, String dataset) {
    return new QueryState(queryId, dataset, List.of());
  }

  SampleObservation sample(String sampleId) {
    for (SampleObservation s : samples) {
      if (s.sampleId().equals(sampleId)) {
        return s;
      }
    }
    return SampleObservation.empty(sampleId);
  }

  /** This state with sample {@code sampleId} replaced by {@code change} applied to it (or to an empty one). */
  QueryState update(String sampleId, UnaryOperator<SampleObservation> change) {
    List<SampleObservation> next = new ArrayList<>(samples.size() + 1);
    for (SampleObservation s : samples) {
      if (!s.sampleId().equals(sampleId)) {
        next.add(s);
      }
    }
    next.add(change.apply(sample(sampleId)));
    next.sort(Comparator.comparing(SampleObservation::sampleId));
    return new QueryState(queryId, dataset, List.copyOf(next));
  }

  /**
   * What this query adds to each scope's statistics ({@link StatsScope}: its labelled samples grouped by model
   * version and SAE, never pooled): counts and sums over the scope's labelled samples, and when the scope has
   * both correct and incorrect samples of this query, per feature the difference of the mean max activation in
   * correct samples and in incorrect ones (inactive counts as 0). Scopes without labelled samples are absent.
   */
  Map<StatsScope, Contribution> contributions() {
    Map<StatsScope, List<SampleObservation>> byScope = new TreeMap<>(SCOPE_ORDER);
    for (SampleObservation s : samples) {
      if (s.labelled()) {
        byScope.computeIfAbsent(s.scope(dataset), k -> new ArrayList<>()).add(s);
      }
    }
    Map<StatsScope, Contribution> out = new TreeMap<>(SCOPE_ORDER);
    byScope.forEach((scope, list) -> out.put(scope, contribution(list)));
    return out;
  }

  static final Comparator<StatsScope> SCOPE_ORDER =
      Comparator.comparing(StatsScope::modelVersion).thenComparing(StatsScope::saeId);

  private static Contribution contribution(List<SampleObservation> labelled) {
    long correct = 0;
    long incorrect = 0;
    TreeMap<Integer, FeatureSums> features = new TreeMap<>();
    for (SampleObservation s : labelled) {
      boolean c = s.correct();
      if (c) {
        correct++;
      } else {
        incorrect++;
      }
      for (int i = 0; i < s.featureIds().length; i++) {
        double a = s.maxActivations()[i];
        FeatureSums f = features.computeIfAbsent(s.featureIds()[i], k -> new FeatureSums());
        f.add(c ? FeatureSums.ACTIVE_CORRECT : FeatureSums.ACTIVE_INCORRECT, 1);
        f.add(c ? FeatureSums.SUM_CORRECT : FeatureSums.SUM_INCORRECT, a);
        f.add(c ? FeatureSums.SUM_SQ_CORRECT : FeatureSums.SUM_SQ_INCORRECT, a * a);
      }
    }
    boolean paired = correct > 0 && incorrect > 0;
    if (paired) {
      for (FeatureSums f : features.values()) {
        double diff = f.get(FeatureSums.SUM_CORRECT) / correct - f.get(FeatureSums.SUM_INCORRECT) / incorrect;
        f.add(FeatureSums.PAIRED_SUM_DIFF, diff);
        f.add(FeatureSums.PAIRED_SUM_SQ_DIFF, diff * diff);
      }
    }
    return new Contribution(correct, incorrect, paired ? 1 : 0, features);
  }

  /** A query's additive share of its dataset's statistics. */
  record Contribution(long correct, long incorrect, long paired, Map<Integer, FeatureSums> features) {
    static final Contribution NONE = new Contribution(0, 0, 0, Map.of());
  }
}
