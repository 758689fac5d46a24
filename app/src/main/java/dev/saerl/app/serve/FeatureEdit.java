package dev.saerl.app.serve;

/**
 * One edit of an SAE feature at the hook layer, at every position, in the feature's activation
 * units: {@code nudge} adds {@code value} times the feature's decoder row to the residual;
 * {@code pin} adds {@code (value - a) } times that row, where {@code a} is the feature's own
 * activation at that position, so the feature reads {@code value} (the rest of the residual is
 * left alone). With a condition ({@code when}), the edit applies only at positions where the
 * condition's feature, read from the model's own residual there, is above its level (Goodfire's
 * conditional edits); elsewhere that position is left alone.
 */
public record FeatureEdit(int feature, float value, Mode mode, Condition when) {
  public enum Mode { NUDGE, PIN }

  /** Apply only where {@code feature}'s own activation is above {@code above}. */
  public record Condition(int feature, float above) {}

  public FeatureEdit(int feature, float value, Mode mode) {
    this(feature, value, mode, null);
  }

  public FeatureEdit {
    if (feature < 0) {
      throw new IllegalArgumentException("feature must be >= 0, got " + feature);
    }
    if (!Float.isFinite(value)) {
      throw new IllegalArgumentException("value must be finite, got " + value);
    }
  }
}
