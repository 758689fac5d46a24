package dev.saerl.workers.sae;

import java.util.List;

/** An SAE over the hook-layer residual stream. */
public interface SparseAutoencoder extends AutoCloseable {
  int features();

  int dIn();

  /** Encodes rows of residuals [n][d_in] at once. */
  List<SparseCodes> encode(float[][] residuals);

  /**
   * A feature's decoder direction, unit norm: what steering adds (times a strength). Public SAEs'
   * decoder rows need not be unit; they are normalised here (docs/real-models.md).
   */
  float[] direction(int feature);

  @Override
  default void close() {}
}
