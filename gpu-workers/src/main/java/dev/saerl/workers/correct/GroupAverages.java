package dev.saerl.workers.correct;

import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.core.ids.Sha256;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Rephrasing fuzz: per question group, the changes of SAE activations at the critical step that
 * successful plan-arm corrections made (chosen minus rejected, mean over the steered window),
 * averaged across the group's rephrasings into a 'group-averaged:&lt;group&gt;' plan variant, with
 * the spread of the changes (mean pairwise cosine) published as an evaluation. Held in memory
 * (at most {@link #MAX_PER_GROUP} changes per group); a restart starts the averages afresh.
 */
public final class GroupAverages {
  static final int MAX_PER_GROUP = 32;
  private final int topK;
  private final Map<String, List<float[]>> changes = new HashMap<>();
  private final Map<String, Set<String>> queries = new HashMap<>();

  public GroupAverages(int topK) {
    this.topK = topK;
  }

  /** A group's averaged plan and the evaluation carrying its spread. */
  public record Update(SteeringPlan plan, Evaluation spread) {}

  /** Adds an outcome's changes; returns the group's new averaged plan once it spans two rephrasings. */
  public List<Update> add(Query q, SteeringPlan base, Corrector.Outcome outcome) {
    if (outcome.planActivationChanges().isEmpty()) {
      return List.of();
    }
    String group = q.getGroupId();
    List<float[]> list = changes.computeIfAbsent(group, k -> new ArrayList<>());
    for (float[] c : outcome.planActivationChanges()) {
      if (list.size() < MAX_PER_GROUP) {
        list.add(c);
      }
    }
    queries.computeIfAbsent(group, k -> new HashSet<>()).add(q.getQueryId());
    if (queries.get(group).size() < 2 || list.size() < 2) {
      return List.of();
    }
    return List.of(update(q, base, group, list));
  }

  private Update update(Query q, SteeringPlan base, String group, List<float[]> list) {
    int d = list.get(0).length;
    float[] mean = new float[d];
    for (float[] c : list) {
      for (int j = 0; j < d; j++) {
        mean[j] += c[j] / list.size();
      }
    }
    double sum = 0;
    double min = 1;
    double max = -1;
    int pairs = 0;
    for (int a = 0; a < list.size(); a++) {
      for (int b = a + 1; b < list.size(); b++) {
        double cos = cosine(list.get(a), list.get(b));
        sum += cos;
        min = Math.min(min, cos);
        max = Math.max(max, cos);
        pairs++;
      }
    }
    double meanCos = sum / pairs;
    List<Integer> top = IntStream.range(0, d).boxed().filter(j -> mean[j] > 0)
        .sorted(Comparator.comparingDouble((Integer j) -> -mean[j]).thenComparingInt(j -> j)).limit(topK).toList();
    List<Float> coefficients = new ArrayList<>();
    List<Float> agreement = new ArrayList<>();
    for (int j : top) {
      coefficients.add(mean[j]);
      agreement.add((float) list.stream().filter(c -> c[j] > 0).count() / list.size());
    }
    String variant = "group-averaged:" + group;
    SteeringPlan plan = SteeringPlan.newBuilder().setPlanVersion("").setDataset(base.getDataset()).setVariant(variant)
        .setModelVersion(base.getModelVersion()).setSaeId(base.getSaeId()).setHookLayer(base.getHookLayer())
        .setFeatureIds(top).setCoefficients(coefficients).setScores(agreement).setSamplesUsed(list.size()).build();
    plan.setPlanVersion("plan-" + Sha256.of(variant + "|" + base.getDataset() + "|" + top + "|" + coefficients).substring(0, 16));
    Evaluation spread = Evaluation.newBuilder()
        .setEvaluationId("e-" + Sha256.of("rephrasing_cosine|" + base.getDataset() + "|" + group + "|" + base.getPlanVersion()).substring(0, 24))
        .setMetric("rephrasing_cosine").setModelVersion(base.getModelVersion()).setPlanVersion(plan.getPlanVersion())
        .setDataset(base.getDataset()).setArm(variant).setRound(0).setTrials(list.size())
        .setSuccesses(queries.get(group).size()).setRate(meanCos).setCiLow(min).setCiHigh(max).setSeed(0).build();
    return new Update(plan, spread);
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int j = 0; j < a.length; j++) {
      dot += (double) a[j] * b[j];
      na += (double) a[j] * a[j];
      nb += (double) b[j] * b[j];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }
}
