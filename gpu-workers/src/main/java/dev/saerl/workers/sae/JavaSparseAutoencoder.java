package dev.saerl.workers.sae;

import dev.saerl.workers.pack.ModelPack;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The plain-Java reference SAE: pre = (x - b_dec, or x) W_enc + b_enc, then ReLU (relu), ReLU where
 * pre exceeds the feature's threshold (jumprelu), or the k largest ReLU activations (topk). Slow
 * and obvious on purpose; the ONNX implementation is checked against it.
 */
public final class JavaSparseAutoencoder implements SparseAutoencoder {
  private final SaeWeights w;

  public JavaSparseAutoencoder(ModelPack pack) {
    this.w = SaeWeights.read(pack);
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
    boolean minusBDec = w.spec().inputMinusBDec();
    float[] pre = new float[f];
    for (float[] x : residuals) {
      System.arraycopy(w.bEnc(), 0, pre, 0, f);
      for (int i = 0; i < w.dIn(); i++) {
        float xi = minusBDec ? x[i] - w.bDec()[i] : x[i];
        int row = i * f;
        for (int j = 0; j < f; j++) {
          pre[j] += xi * w.wEnc()[row + j];
        }
      }
      if (w.spec().topK()) {
        out.add(topK(pre, w.spec().k()));
        continue;
      }
      for (int j = 0; j < f; j++) {
        boolean on = pre[j] > 0 && (w.threshold() == null || pre[j] > w.threshold()[j]);
        pre[j] = on ? pre[j] : 0f;
      }
      out.add(SparseCodes.fromDense(pre, 0, f));
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

  /** The reconstruction b_dec + sum_j code_j W_dec[j] (the decoder rows as stored, not normalised). */
  public float[] decode(SparseCodes codes) {
    int d = w.dIn();
    float[] out = w.bDec().clone();
    for (int i = 0; i < codes.ids().length; i++) {
      int row = codes.ids()[i] * d;
      float v = codes.values()[i];
      for (int j = 0; j < d; j++) {
        out[j] += v * w.wDec()[row + j];
      }
    }
    return out;
  }

  @Override
  public float[] direction(int feature) {
    return w.direction(feature);
  }
}
