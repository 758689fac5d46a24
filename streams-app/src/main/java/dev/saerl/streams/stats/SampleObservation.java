package dev.saerl.streams.stats;

import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.StepFeatures;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * What the statistics know of one sample: its label (null until the verdict arrives), and per
 * active feature its maximum activation over the sample's steps and the step where it peaked
 * (empty until the features arrive). Feature ids are sorted ascending.
 */
public record SampleObservation(String sampleId, Boolean correct, String modelVersion, String saeId, int hookLayer,
                                boolean hasFeatures, int[] featureIds, float[] maxActivations, int[] bestSteps,
                                List<String> stepTexts) {

  static SampleObservation empty(String sampleId) {
    return new SampleObservation(sampleId, null, "", "", -1, false, new int[0], new float[0], new int[0], List.of());
  }

  /** The statistics this sample belongs to: its dataset's, of its model version and SAE. */
  StatsScope scope(String dataset) {
    return new StatsScope(dataset, modelVersion, saeId);
  }

  boolean labelled() {
    return correct != null && hasFeatures;
  }

  /** This sample with the features of {@code f}: per feature, the max of its per-step max activations. */
  SampleObservation withFeatures(SampleFeatures f) {
    TreeMap<Integer, float[]> best = new TreeMap<>(); // feature -> {activation, step}
    for (StepFeatures step : f.getSteps()) {
      List<Integer> ids = step.getFeatureIds();
      List<Float> acts = step.getMaxActivations();
      for (int i = 0; i < ids.size(); i++) {
        float a = acts.get(i);
        if (a <= 0f) {
          continue;
        }
        float[] cur = best.get(ids.get(i));
        if (cur == null || a > cur[0]) {
          best.put(ids.get(i), new float[] {a, step.getStepIndex()});
        }
      }
    }
    int n = best.size();
    int[] ids = new int[n];
    float[] acts = new float[n];
    int[] steps = new int[n];
    int i = 0;
    for (var e : best.entrySet()) {
      ids[i] = e.getKey();
      acts[i] = e.getValue()[0];
      steps[i++] = (int) e.getValue()[1];
    }
    String model = modelVersion.isEmpty() ? f.getModelVersion() : modelVersion;
    return new SampleObservation(sampleId, correct, model, f.getSaeId(), f.getHookLayer(), true, ids, acts, steps, stepTexts);
  }

  SampleObservation withLabel(boolean isCorrect, String model, List<String> texts) {
    return new SampleObservation(sampleId, isCorrect, model, saeId, hookLayer, hasFeatures, featureIds, maxActivations,
        bestSteps, List.copyOf(texts));
  }

  String stepText(int step) {
    return step >= 0 && step < stepTexts.size() ? stepTexts.get(step) : "";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SampleObservation s && sampleId.equals(s.sampleId) && java.util.Objects.equals(correct, s.correct)
        && modelVersion.equals(s.modelVersion) && saeId.equals(s.saeId) && hookLayer == s.hookLayer
        && hasFeatures == s.hasFeatures && Arrays.equals(featureIds, s.featureIds)
        && Arrays.equals(maxActivations, s.maxActivations) && Arrays.equals(bestSteps, s.bestSteps)
        && stepTexts.equals(s.stepTexts);
  }

  @Override
  public int hashCode() {
    return sampleId.hashCode();
  }
}
