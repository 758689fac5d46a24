package dev.saerl.workers.sae;

/** Sparse SAE codes of one residual vector: active feature ids (ascending) and their activations. */
public record SparseCodes(int[] ids, float[] values) {
  public SparseCodes {
    if (ids.length != values.length) {
      throw new IllegalArgumentException("ids and values differ in length: " + ids.length + " vs " + values.length);
    }
  }

  /** The activation of one feature, 0 when inactive. */
  public float get(int feature) {
    int i = java.util.Arrays.binarySearch(ids, feature);
    return i >= 0 ? values[i] : 0f;
  }

  static SparseCodes fromDense(float[] dense, int offset, int features) {
    int n = 0;
    for (int f = 0; f < features; f++) {
      if (dense[offset + f] > 0) {
        n++;
      }
    }
    int[] ids = new int[n];
    float[] values = new float[n];
    int j = 0;
    for (int f = 0; f < features; f++) {
      float v = dense[offset + f];
      if (v > 0) {
        ids[j] = f;
        values[j++] = v;
      }
    }
    return new SparseCodes(ids, values);
  }
}
