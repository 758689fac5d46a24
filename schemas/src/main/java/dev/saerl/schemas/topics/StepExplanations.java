package dev.saerl.schemas.topics;

/** The key of a step-explanations record: one explanation per step of a sample, the newest winning. */
public final class StepExplanations {
  private StepExplanations() {}

  public static String key(String sampleId, int stepIndex) {
    return sampleId + "/" + stepIndex;
  }
}
