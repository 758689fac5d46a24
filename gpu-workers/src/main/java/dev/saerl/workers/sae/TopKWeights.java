package dev.saerl.workers.sae;

import dev.saerl.workers.pack.ModelPackException;
import dev.saerl.workers.pack.Safetensors;
import java.nio.file.Path;
import java.util.Map;

/** A TopK SAE's weights in SAELens layout: W_enc [d_in,F], b_enc [F], W_dec [F,d_in], b_dec [d_in]. */
record TopKWeights(int dIn, int features, int k, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec) {

  static TopKWeights read(Path file, int k) {
    Map<String, Safetensors.Tensor> t = Safetensors.read(file);
    for (String name : new String[] {"W_enc", "b_enc", "W_dec", "b_dec"}) {
      if (!t.containsKey(name)) {
        throw new ModelPackException(file + ": SAE tensor " + name + " is missing (has " + t.keySet() + ")");
      }
    }
    long[] shape = t.get("W_enc").shape();
    return new TopKWeights((int) shape[0], (int) shape[1], k, t.get("W_enc").data(), t.get("b_enc").data(),
        t.get("W_dec").data(), t.get("b_dec").data());
  }

  float[] direction(int feature) {
    float[] out = new float[dIn];
    System.arraycopy(wDec, feature * dIn, out, 0, dIn);
    return out;
  }
}
