package dev.saerl.streams.stats;

/** One step in which a feature was active: what the feature responds to. */
public record FeatureExample(float activation, String queryId, String sampleId, int stepIndex, String text, boolean correct) {
  boolean sameStep(FeatureExample o) {
    return sampleId.equals(o.sampleId) && stepIndex == o.stepIndex;
  }
}
