package dev.saerl.workers.sae;

import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelPackException;
import dev.saerl.workers.pack.SaeSpec;
import dev.saerl.workers.pack.Safetensors;
import java.nio.file.Path;
import java.util.Map;

/**
 * An SAE's weights in SAELens layout: W_enc [d_in,F], b_enc [F], W_dec [F,d_in], b_dec [d_in], and
 * threshold [F] for a JumpReLU SAE; checked against the manifest's {@code sae} sizes. The encoder
 * tensors are null when only the decoder was read ({@link #decoder}).
 */
record SaeWeights(SaeSpec spec, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, float[] threshold) {

  static SaeWeights read(ModelPack pack) {
    Path file = pack.file(pack.sae().weightsFile());
    SaeSpec spec = pack.sae();
    Map<String, Safetensors.Tensor> t = Safetensors.read(file);
    int d = spec.dIn();
    int f = spec.features();
    return new SaeWeights(spec, tensor(file, t, "W_enc", d, f), tensor(file, t, "b_enc", f), tensor(file, t, "W_dec", f, d),
        tensor(file, t, "b_dec", d), spec.jumpRelu() ? tensor(file, t, "threshold", f) : null);
  }

  /** Only the decoder (what steering reads), for an SAE whose encoder runs elsewhere: half the memory. */
  static SaeWeights decoder(ModelPack pack) {
    Path file = pack.file(pack.sae().weightsFile());
    SaeSpec spec = pack.sae();
    Map<String, Safetensors.Tensor> t = Safetensors.read(file, java.util.List.of("W_dec", "b_dec"));
    return new SaeWeights(spec, null, null, tensor(file, t, "W_dec", spec.features(), spec.dIn()),
        tensor(file, t, "b_dec", spec.dIn()), null);
  }

  private static float[] tensor(Path file, Map<String, Safetensors.Tensor> t, String name, long... shape) {
    Safetensors.Tensor x = t.get(name);
    if (x == null) {
      throw new ModelPackException(file + ": SAE tensor " + name + " is missing (has " + t.keySet() + ")");
    }
    if (!java.util.Arrays.equals(x.shape(), shape)) {
      throw new ModelPackException(file + ": SAE tensor " + name + " has shape " + java.util.Arrays.toString(x.shape())
          + " but manifest.json sae (d_in, features) needs " + java.util.Arrays.toString(shape));
    }
    return x.data();
  }

  int dIn() {
    return spec.dIn();
  }

  int features() {
    return spec.features();
  }

  /** The feature's decoder row scaled to unit norm (public SAEs' rows need not be unit). */
  float[] direction(int feature) {
    if (feature < 0 || feature >= features()) {
      throw new IllegalArgumentException("feature " + feature + " outside 0.." + (features() - 1) + " of SAE " + spec.id());
    }
    float[] out = new float[dIn()];
    System.arraycopy(wDec, feature * dIn(), out, 0, dIn());
    double sq = 0;
    for (float v : out) {
      sq += v * v;
    }
    float scale = sq > 0 ? (float) (1 / Math.sqrt(sq)) : 0f;
    for (int i = 0; i < out.length; i++) {
      out[i] *= scale;
    }
    return out;
  }
}
