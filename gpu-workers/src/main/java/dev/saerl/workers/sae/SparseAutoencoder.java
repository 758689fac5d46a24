package dev.saerl.workers.sae;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** An SAE over the hook-layer residual stream. */
public interface SparseAutoencoder extends AutoCloseable {
  int features();

  int dIn();

  /** Encodes rows of residuals [n][d_in] at once. */
  List<SparseCodes> encode(float[][] residuals);

  /**
   * Rows per encoder run in {@link #encodeEach}. On CPU a row costs the same in a run of 32 or of
   * 256 rows (the product and the TopK are per row; a run's own overhead is ~20 us); past a few
   * hundred rows the [rows, features] intermediates outgrow the cache and a row costs 10-20% more.
   */
  int ENCODE_RUN_ROWS = 256;

  /**
   * Encodes several groups of rows (a batch's samples) together, in runs of up to
   * {@link #ENCODE_RUN_ROWS} rows however the groups fall, and splits the codes back per group: an
   * encoding is per row, so each group gets what encoding it alone gives.
   */
  default List<List<SparseCodes>> encodeEach(List<float[][]> groups) {
    int n = 0;
    for (float[][] g : groups) {
      n += g.length;
    }
    float[][] all = new float[n][];
    int at = 0;
    for (float[][] g : groups) {
      System.arraycopy(g, 0, all, at, g.length);
      at += g.length;
    }
    List<SparseCodes> codes = new ArrayList<>(n);
    for (int from = 0; from < n; from += ENCODE_RUN_ROWS) {
      codes.addAll(encode(Arrays.copyOfRange(all, from, Math.min(n, from + ENCODE_RUN_ROWS))));
    }
    List<List<SparseCodes>> out = new ArrayList<>(groups.size());
    at = 0;
    for (float[][] g : groups) {
      out.add(codes.subList(at, at + g.length));
      at += g.length;
    }
    return out;
  }

  /**
   * A feature's decoder direction, unit norm: what steering adds (times a strength). Public SAEs'
   * decoder rows need not be unit; they are normalised here (docs/real-models.md).
   */
  float[] direction(int feature);

  @Override
  default void close() {}
}
