package dev.saerl.workers.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.saerl.workers.pack.Architecture;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelPackException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward pass of the pack's decoder graph at a time. The runtime owns the KV cache
 * ({@link KvCache}: direct buffers with room for the whole generation, handed to ONNX Runtime
 * without copying); each pass returns only its own keys and values, which are written into the
 * cache's next slots. The graph's names and shapes are checked against the pack contract when it
 * opens.
 */
public final class OnnxDecoder implements AutoCloseable {
  public static final List<String> FIXED_INPUTS = List.of("input_ids", "position_ids", "attention_mask", "steer");
  private final OrtSession session;
  private final Architecture arch;
  private final List<String> pastNames = new ArrayList<>();
  private final List<String> newNames = new ArrayList<>();
  /** The fixed inputs' native buffers, kept across passes (one pass at a time: forward is synchronized). */
  private final PassInputs inputs;

  public OnnxDecoder(ModelPack pack, int threads) {
    this(pack, threads, true);
  }

  /**
   * With {@code reuseInputs} false every pass allocates its input buffers afresh, as the decoder
   * did before they were pooled: the reference that tests and the hot-path benchmark compare with.
   */
  public OnnxDecoder(ModelPack pack, int threads, boolean reuseInputs) {
    this.inputs = new PassInputs(reuseInputs);
    this.arch = pack.architecture();
    for (int i = 0; i < arch.nLayer(); i++) {
      pastNames.add("past_key_values." + i + ".key");
      pastNames.add("past_key_values." + i + ".value");
      newNames.add("new_key_values." + i + ".key");
      newNames.add("new_key_values." + i + ".value");
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
      wantOut.addAll(newNames);
      if (out.containsKey("present.0.key")) {
        throw new ModelPackException(where + ": graph outputs present.* (pack format 1, the whole cache per pass); this "
            + "runtime needs format 2 (new_key_values.*): re-export with `python3 -m foundry.export --pack OLD --out NEW`");
      }
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

  /** An empty cache for {@code batch} rows with room for {@code capacity} tokens each (it grows if needed). */
  public KvCache newCache(int batch, int capacity) {
    return new KvCache(arch, batch, capacity);
  }

  /**
   * Runs one pass over T new tokens per row. ids and positions are [B,T] row-major, mask is [B,T]
   * (1 = real token, 0 = padding), steer is [B,T,D] or null (zeros). With a cache, the tokens attend
   * to its filled slots and their keys and values are appended to it; with null they see only each
   * other and nothing is kept.
   */
  public Pass forward(long[] ids, long[] positions, long[] mask, float[] steer, int batch, int seq, KvCache cache) {
    return forward(ids, positions, mask, steer, batch, seq, cache, true);
  }

  /**
   * As {@link #forward(long[], long[], long[], float[], int, int, KvCache)}; with {@code append} false the
   * tokens attend to the cache but their keys and values are not kept: a look at the hook residuals
   * a pass would have, before the pass that counts.
   */
  public synchronized Pass forward(long[] ids, long[] positions, long[] mask, float[] steer, int batch, int seq,
                                   KvCache cache, boolean append) {
    if (cache != null && cache.batch() != batch) {
      throw new IllegalArgumentException("cache holds " + cache.batch() + " rows, the pass has " + batch);
    }
    try {
      Map<String, OnnxTensor> inputs = new HashMap<>();
      inputs.put("input_ids", this.inputs.ids(ids, new long[] {batch, seq}));
      inputs.put("position_ids", this.inputs.positions(positions, new long[] {batch, seq}));
      if (cache != null) {
        cache.ensureRoom(seq); // before the mask and the views, which have the cache's capacity
      }
      boolean readCache = cache != null && cache.length() > 0; // an empty cache is read as no slots at all
      long[] fullMask = readCache ? cache.attentionMask(mask, seq) : mask;
      inputs.put("attention_mask", this.inputs.mask(fullMask, new long[] {batch, fullMask.length / batch}));
      inputs.put("steer", this.inputs.steer(steer, new long[] {batch, seq, arch.dModel()}));
      OnnxTensor empty = readCache ? null : this.inputs.emptyPast(new long[] {batch, arch.nKvHead(), 0, arch.headDim()});
      for (int i = 0; i < pastNames.size(); i++) {
        inputs.put(pastNames.get(i), readCache ? cache.tensor(i) : empty);
      }
      OrtSession.Result result = session.run(inputs);
      if (cache != null && append) {
        cache.append(result, newNames, mask, seq);
      }
      return new Pass(result, batch, seq, arch);
    } catch (OrtException e) {
      int slots = cache == null ? 0 : cache.length();
      throw new IllegalStateException("decoder forward pass failed (batch " + batch + ", seq " + seq + ", cached " + slots + "): " + e.getMessage(), e);
    } finally {
      this.inputs.endPass();
    }
  }

  @Override
  public void close() {
    inputs.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The outputs of one pass: logits [B,T,V] and hook residuals [B,T,D]. */
  public static final class Pass implements AutoCloseable {
    private final OrtSession.Result result;
    public final int batch;
    public final int seq;
    private final Architecture arch;
    private FloatBuffer logits;
    private FloatBuffer hook;

    Pass(OrtSession.Result result, int batch, int seq, Architecture arch) {
      this.result = result;
      this.batch = batch;
      this.seq = seq;
      this.arch = arch;
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
