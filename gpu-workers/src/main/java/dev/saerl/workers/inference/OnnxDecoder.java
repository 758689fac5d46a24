package dev.saerl.workers.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.saerl.workers.pack.Architecture;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelPackException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward pass of the pack's decoder graph at a time, with the KV cache kept as the previous
 * pass's output tensors (immutable weights in the session; per-request state in {@link Pass}).
 * The graph's names and shapes are checked against the pack contract when it opens.
 */
public final class OnnxDecoder implements AutoCloseable {
  public static final List<String> FIXED_INPUTS = List.of("input_ids", "position_ids", "attention_mask", "steer");
  private final OrtSession session;
  private final Architecture arch;
  private final List<String> pastNames = new ArrayList<>();
  private final List<String> presentNames = new ArrayList<>();

  public OnnxDecoder(ModelPack pack, int threads) {
    this.arch = pack.architecture();
    for (int i = 0; i < arch.nLayer(); i++) {
      pastNames.add("past_key_values." + i + ".key");
      pastNames.add("past_key_values." + i + ".value");
      presentNames.add("present." + i + ".key");
      presentNames.add("present." + i + ".value");
    }
    this.session = OrtRuntime.open(pack.file(ModelPack.MODEL_FILE), threads);
    try {
      check(pack);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void check(ModelPack pack) {
    String where = pack.file(ModelPack.MODEL_FILE).toString();
    try {
      Map<String, NodeInfo> in = session.getInputInfo();
      Map<String, NodeInfo> out = session.getOutputInfo();
      List<String> wantIn = new ArrayList<>(FIXED_INPUTS);
      wantIn.addAll(pastNames);
      List<String> wantOut = new ArrayList<>(List.of("logits", "hook_resid"));
      wantOut.addAll(presentNames);
      if (!in.keySet().equals(Set.copyOf(wantIn))) {
        throw new ModelPackException(where + ": graph inputs are " + in.keySet() + ", the pack contract needs " + wantIn);
      }
      if (!out.keySet().equals(Set.copyOf(wantOut))) {
        throw new ModelPackException(where + ": graph outputs are " + out.keySet() + ", the pack contract needs " + wantOut);
      }
      if (!Set.copyOf(pack.graphInputs()).equals(in.keySet()) || !Set.copyOf(pack.graphOutputs()).equals(out.keySet())) {
        throw new ModelPackException(where + ": graph names differ from manifest.json graph.inputs/graph.outputs");
      }
      expectLastDim(where, in, "steer", arch.dModel(), "architecture.d_model");
      expectLastDim(where, out, "hook_resid", arch.dModel(), "architecture.d_model");
      expectLastDim(where, out, "logits", arch.vocabSize(), "architecture.vocab_size");
      expectLastDim(where, in, pastNames.get(0), arch.headDim(), "architecture.head_dim");
    } catch (OrtException e) {
      throw new ModelPackException(where + ": cannot read graph metadata: " + e.getMessage(), e);
    }
  }

  private static void expectLastDim(String where, Map<String, NodeInfo> nodes, String name, int want, String field) {
    long[] shape = ((TensorInfo) nodes.get(name).getInfo()).getShape();
    long last = shape[shape.length - 1];
    if (last != want) {
      throw new ModelPackException(where + ": " + name + " has last dimension " + last + " but manifest " + field + " is " + want);
    }
  }

  public Architecture architecture() {
    return arch;
  }

  /**
   * Runs one pass. ids and positions are [B,T] row-major, mask is [B,P+T], steer is [B,T,D] or null
   * (zeros). {@code past} is the cache of the same rows (a previous pass, or some of its rows), or
   * null for an empty cache. The returned pass owns the new cache; close it (or pass it on and
   * close the old one).
   */
  public Pass forward(long[] ids, long[] positions, long[] mask, float[] steer, int batch, int seq, KvCache past) {
    OrtEnvironment env = OrtRuntime.env();
    int pastLen = past == null ? 0 : past.length();
    List<OnnxTensor> owned = new ArrayList<>();
    try {
      Map<String, OnnxTensor> inputs = new HashMap<>();
      inputs.put("input_ids", track(owned, OnnxTensor.createTensor(env, longs(ids), new long[] {batch, seq})));
      inputs.put("position_ids", track(owned, OnnxTensor.createTensor(env, longs(positions), new long[] {batch, seq})));
      inputs.put("attention_mask", track(owned, OnnxTensor.createTensor(env, longs(mask), new long[] {batch, pastLen + seq})));
      float[] s = steer != null ? steer : new float[batch * seq * arch.dModel()];
      inputs.put("steer", track(owned, OnnxTensor.createTensor(env, floats(s), new long[] {batch, seq, arch.dModel()})));
      for (int i = 0; i < pastNames.size(); i++) {
        if (past == null) {
          long[] shape = {batch, arch.nKvHead(), 0, arch.headDim()};
          inputs.put(pastNames.get(i), track(owned, OnnxTensor.createTensor(env, floats(new float[0]), shape)));
        } else {
          inputs.put(pastNames.get(i), past.tensor(i));
        }
      }
      OrtSession.Result result = session.run(inputs);
      return new Pass(result, batch, seq, pastLen + seq, arch, presentNames);
    } catch (OrtException e) {
      throw new IllegalStateException("decoder forward pass failed (batch " + batch + ", seq " + seq + ", past " + pastLen + "): " + e.getMessage(), e);
    } finally {
      owned.forEach(OnnxTensor::close);
    }
  }

  private static OnnxTensor track(List<OnnxTensor> owned, OnnxTensor t) {
    owned.add(t);
    return t;
  }

  private static LongBuffer longs(long[] v) {
    LongBuffer b = ByteBuffer.allocateDirect(Math.max(8, v.length * 8)).order(ByteOrder.nativeOrder()).asLongBuffer();
    b.put(v).flip();
    return b;
  }

  private static FloatBuffer floats(float[] v) {
    FloatBuffer b = ByteBuffer.allocateDirect(Math.max(4, v.length * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(v).flip();
    return b;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Per layer, the key and value tensors [B,H,P,Dh] a pass reads as its past (index 2i key, 2i+1 value). */
  public interface KvCache extends AutoCloseable {
    OnnxTensor tensor(int index);

    int length();

    @Override
    void close();
  }

  /** The outputs of one pass: logits [B,T,V], hook residuals [B,T,D], and the cache it produced. */
  public static final class Pass implements KvCache {
    private final OrtSession.Result result;
    public final int batch;
    public final int seq;
    public final int totalLen;
    private final Architecture arch;
    private final List<String> presentNames;
    private FloatBuffer logits;
    private FloatBuffer hook;

    Pass(OrtSession.Result result, int batch, int seq, int totalLen, Architecture arch, List<String> presentNames) {
      this.result = result;
      this.batch = batch;
      this.seq = seq;
      this.totalLen = totalLen;
      this.arch = arch;
      this.presentNames = presentNames;
    }

    @Override
    public OnnxTensor tensor(int index) {
      return (OnnxTensor) result.get(presentNames.get(index)).orElseThrow();
    }

    @Override
    public int length() {
      return totalLen;
    }

    /** A copy of this cache holding only the given rows, in that order: a batch shrinks as rows finish. */
    public KvCache select(int[] rows) {
      List<OnnxTensor> out = new ArrayList<>();
      int rowSize = arch.nKvHead() * totalLen * arch.headDim();
      try {
        for (int i = 0; i < presentNames.size(); i++) {
          FloatBuffer all = tensor(i).getFloatBuffer();
          FloatBuffer picked = ByteBuffer.allocateDirect(rows.length * rowSize * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
          for (int r : rows) {
            picked.put(all.slice(r * rowSize, rowSize));
          }
          picked.flip();
          out.add(OnnxTensor.createTensor(OrtRuntime.env(), picked,
              new long[] {rows.length, arch.nKvHead(), totalLen, arch.headDim()}));
        }
      } catch (OrtException e) {
        out.forEach(OnnxTensor::close);
        throw new IllegalStateException("cannot copy the KV cache: " + e.getMessage(), e);
      }
      int len = totalLen;
      return new KvCache() {
        @Override
        public OnnxTensor tensor(int index) {
          return out.get(index);
        }

        @Override
        public int length() {
          return len;
        }

        @Override
        public void close() {
          out.forEach(OnnxTensor::close);
        }
      };
    }

    /** Logits of row b at position t (a view copy of V floats). */
    public float[] logits(int b, int t) {
      if (logits == null) {
        logits = buffer("logits");
      }
      float[] out = new float[arch.vocabSize()];
      logits.get((b * seq + t) * arch.vocabSize(), out);
      return out;
    }

    /** Hook residual of row b at position t. */
    public float[] hook(int b, int t) {
      if (hook == null) {
        hook = buffer("hook_resid");
      }
      float[] out = new float[arch.dModel()];
      hook.get((b * seq + t) * arch.dModel(), out);
      return out;
    }

    private FloatBuffer buffer(String name) {
      return ((OnnxTensor) result.get(name).orElseThrow()).getByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    public void close() {
      result.close();
    }
  }
}
