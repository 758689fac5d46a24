package dev.saerl.workers.pack;

import java.util.List;

/**
 * A steering adapter: a vector added to the hook-layer residual at every position (prompt and
 * generated tokens), here a combination of SAE decoder directions. A pack with an adapter is its
 * parent's weights plus this vector.
 *
 * @param method how it was found (feature-rl, random-direction, ...)
 * @param featureIds the SAE features combined (empty for a random direction)
 * @param coefficients their coefficients
 * @param vector the d_model vector actually added
 */
public record Adapter(String method, List<Integer> featureIds, List<Float> coefficients, float[] vector) {
  public Adapter {
    featureIds = List.copyOf(featureIds);
    coefficients = List.copyOf(coefficients);
    vector = vector.clone();
    if (featureIds.size() != coefficients.size()) {
      throw new IllegalArgumentException("adapter: " + featureIds.size() + " features but " + coefficients.size() + " coefficients");
    }
  }

  public double norm() {
    double s = 0;
    for (float x : vector) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }
}
