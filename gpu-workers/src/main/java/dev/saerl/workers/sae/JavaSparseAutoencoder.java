package dev.saerl.workers.sae;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The plain-Java reference TopK SAE: codes = TopK_k(ReLU((x - b_dec) W_enc + b_enc)). Slow and
 * obvious on purpose; the ONNX implementation is checked against it.
 */
public final class JavaSparseAutoencoder implements SparseAutoencoder {
  private final TopKWeights w;

  public JavaSparseAutoencoder(Path weights, int k) {
    this.w = TopKWeights.read(weights, k);
  }

  @Override
  public int features() {
    return w.features();
  }

  @Override
  public int dIn() {
    return w.dIn();
  }

  @Override
  public List<SparseCodes> encode(float[][] residuals) {
    List<SparseCodes> out = new ArrayList<>(residuals.length);
    int f = w.features();
    float[] pre = new float[f];
    for (float[] x : residuals) {
      System.arraycopy(w.bEnc(), 0, pre, 0, f);
      for (int i = 0; i < w.dIn(); i++) {
        float xi = x[i] - w.bDec()[i];
        int row = i * f;
        for (int j = 0; j < f; j++) {
          pre[j] += xi * w.wEnc()[row + j];
        }
      }
      out.add(topK(pre, w.k()));
    }
    return out;
  }

  static SparseCodes topK(float[] pre, int k) {
    Integer[] order = new Integer[pre.length];
    for (int i = 0; i < pre.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(pre[b], pre[a]));
    int n = 0;
    while (n < k && n < pre.length && pre[order[n]] > 0) {
      n++;
    }
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = order[i];
    }
    Arrays.sort(ids);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = pre[ids[i]];
    }
    return new SparseCodes(ids, values);
  }

  @Override
  public float[] direction(int feature) {
    return w.direction(feature);
  }
}
