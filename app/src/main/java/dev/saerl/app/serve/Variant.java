package dev.saerl.app.serve;

import dev.saerl.schemas.avro.SteeringPlan;
import java.util.List;

/**
 * What a request asks beyond the plain model: feature edits, a steering plan added at every
 * position ({@code strength} times its features' coefficients along their unit decoder directions,
 * as the corrector adds it; null for none), and the reply's hook-layer features.
 */
public record Variant(List<FeatureEdit> edits, SteeringPlan plan, float planStrength, boolean returnFeatures) {
  public static final Variant NONE = new Variant(List.of(), null, 0f, false);

  public Variant {
    edits = List.copyOf(edits);
  }

  public Variant(List<FeatureEdit> edits, boolean returnFeatures) {
    this(edits, null, 0f, returnFeatures);
  }

  /**
   * Pinning and conditions read each position's own activations first, so those rows run on the
   * edited generator.
   */
  public boolean readsOwnActivations() {
    return edits.stream().anyMatch(e -> e.mode() == FeatureEdit.Mode.PIN || e.when() != null);
  }
}
