package dev.saerl.workers.sae;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.saerl.workers.inference.OrtRuntime;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelPackException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The pack's SAE encoder graph on ONNX Runtime: all rows in one run. */
public final class OnnxSparseAutoencoder implements SparseAutoencoder {
  private final OrtSession session;
  private final SaeWeights weights;

  public OnnxSparseAutoencoder(ModelPack pack, int threads) {
    var spec = pack.sae();
    this.weights = SaeWeights.decoder(pack);
    this.session = OrtRuntime.open(pack.file(spec.encodeFile()), threads);
    try {
      if (!session.getInputNames().contains("x") || !session.getOutputNames().contains("codes")) {
        throw new ModelPackException(pack.file(spec.encodeFile()) + ": SAE graph needs input 'x' and output 'codes', has "
            + session.getInputNames() + " -> " + session.getOutputNames());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  @Override
  public int features() {
    return weights.features();
  }

  @Override
  public int dIn() {
    return weights.dIn();
  }

  @Override
  public List<SparseCodes> encode(float[][] residuals) {
    int n = residuals.length;
    int d = weights.dIn();
    if (n == 0) {
      return List.of();
    }
    FloatBuffer in = ByteBuffer.allocateDirect(n * d * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (float[] r : residuals) {
      in.put(r, 0, d);
    }
    in.flip();
    try (OnnxTensor x = OnnxTensor.createTensor(OrtRuntime.env(), in, new long[] {n, d});
         OrtSession.Result result = session.run(Map.of("x", x))) {
      float[] dense = new float[n * weights.features()];
      ((OnnxTensor) result.get(0)).getFloatBuffer().get(dense);
      List<SparseCodes> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(SparseCodes.fromDense(dense, i * weights.features(), weights.features()));
      }
      return out;
    } catch (OrtException e) {
      throw new IllegalStateException("SAE encoding of " + n + " rows failed: " + e.getMessage(), e);
    }
  }

  @Override
  public float[] direction(int feature) {
    return weights.direction(feature);
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
