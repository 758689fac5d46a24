package dev.saerl.streams.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The change one event makes to one scope's statistics ({@link StatsScope}: dataset, model version, SAE):
 * the query's new contribution to the scope minus its old one (so updates and out-of-order arrivals
 * stay right), plus the newly labelled sample's candidate examples. Travels through the repartition
 * topic keyed by dataset, so every scope of a dataset is held by one task.
 *
 * @param values {@link FeatureSums#WIDTH} values per entry of {@code featureIds}
 * @param exampleFeatures with {@code exampleActivations} and {@code exampleSteps}: per active feature of
 *     the sample, its peak activation and the step where it peaked ({@code stepTexts} holds the texts)
 */
public record StatsDelta(String dataset, String modelVersion, String saeId, int hookLayer,
                         long correct, long incorrect, long paired, int[] featureIds, double[] values,
                         String queryId, String sampleId, boolean sampleCorrect, List<String> stepTexts,
                         int[] exampleFeatures, float[] exampleActivations, int[] exampleSteps) {

  /**
   * The changes from {@code before} to {@code after}, one per scope whose statistics change (a sample re-sent
   * under another SAE changes two); {@code changed} is the sample the event touched, and only its scope's delta
   * carries its examples.
   */
  static List<StatsDelta> between(QueryState before, QueryState after, SampleObservation changed) {
    Map<StatsScope, QueryState.Contribution> old = before.contributions();
    Map<StatsScope, QueryState.Contribution> now = after.contributions();
    TreeSet<StatsScope> scopes = new TreeSet<>(QueryState.SCOPE_ORDER);
    scopes.addAll(old.keySet());
    scopes.addAll(now.keySet());
    List<StatsDelta> out = new ArrayList<>(1);
    for (StatsScope scope : scopes) {
      StatsDelta d = between(scope, old.getOrDefault(scope, QueryState.Contribution.NONE),
          now.getOrDefault(scope, QueryState.Contribution.NONE), after.queryId(), changed);
      if (!d.isEmpty()) {
        out.add(d);
      }
    }
    return out;
  }

  private static StatsDelta between(StatsScope scope, QueryState.Contribution old, QueryState.Contribution now,
                                    String queryId, SampleObservation changed) {
    TreeSet<Integer> ids = new TreeSet<>(old.features().keySet());
    ids.addAll(now.features().keySet());
    int[] featureIds = new int[ids.size()];
    double[] values = new double[ids.size() * FeatureSums.WIDTH];
    int n = 0;
    for (int id : ids) {
      FeatureSums d = new FeatureSums();
      FeatureSums a = now.features().get(id);
      FeatureSums b = old.features().get(id);
      if (a != null) {
        d.accumulate(a, 1);
      }
      if (b != null) {
        d.accumulate(b, -1);
      }
      if (Arrays.stream(d.values()).allMatch(x -> x == 0.0)) {
        continue;
      }
      featureIds[n] = id;
      System.arraycopy(d.values(), 0, values, n * FeatureSums.WIDTH, FeatureSums.WIDTH);
      n++;
    }
    boolean mine = changed.scope(scope.dataset()).equals(scope);
    boolean example = mine && changed.labelled();
    return new StatsDelta(scope.dataset(), scope.modelVersion(), scope.saeId(), mine ? changed.hookLayer() : -1,
        now.correct() - old.correct(), now.incorrect() - old.incorrect(), now.paired() - old.paired(),
        Arrays.copyOf(featureIds, n), Arrays.copyOf(values, n * FeatureSums.WIDTH),
        queryId, changed.sampleId(), example && changed.correct(), example ? changed.stepTexts() : List.of(),
        example ? changed.featureIds() : new int[0], example ? changed.maxActivations() : new float[0],
        example ? changed.bestSteps() : new int[0]);
  }

  /** The statistics this delta changes. */
  StatsScope scope() {
    return new StatsScope(dataset, modelVersion, saeId);
  }

  boolean isEmpty() {
    return correct == 0 && incorrect == 0 && paired == 0 && featureIds.length == 0 && exampleFeatures.length == 0;
  }

  FeatureSums sums(int i) {
    return new FeatureSums(Arrays.copyOfRange(values, i * FeatureSums.WIDTH, (i + 1) * FeatureSums.WIDTH));
  }

  /** The i-th candidate example this delta carries (for feature {@code exampleFeatures[i]}). */
  FeatureExample example(int i) {
    int step = exampleSteps[i];
    String text = step >= 0 && step < stepTexts.size() ? stepTexts.get(step) : "";
    return new FeatureExample(exampleActivations[i], queryId, sampleId, step, text, sampleCorrect);
  }

  /** Observations this delta labels: one per (sample, active feature) pair newly counted. */
  long observations() {
    return exampleFeatures.length;
  }
}
