package dev.saerl.app.serve;

import java.util.List;

/** What a request asks beyond the plain model: feature edits, and the reply's hook-layer features. */
public record Variant(List<FeatureEdit> edits, boolean returnFeatures) {
  public static final Variant NONE = new Variant(List.of(), false);

  public Variant {
    edits = List.copyOf(edits);
  }

  /**
   * Pinning and conditions read each position's own activations first, so those rows run on the
   * edited generator.
   */
  public boolean readsOwnActivations() {
    return edits.stream().anyMatch(e -> e.mode() == FeatureEdit.Mode.PIN || e.when() != null);
  }
}
