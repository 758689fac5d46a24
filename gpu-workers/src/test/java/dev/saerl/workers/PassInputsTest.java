package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxDecoder;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The decoder's pooled input buffers against inputs allocated afresh every pass (the reference). */
class PassInputsTest {
  static ModelPack pack;
  static OnnxGenerator pooled;
  static OnnxGenerator fresh;

  @BeforeAll
  static void load() {
    pack = ModelPack.load(BundledPack.dir());
    pooled = new OnnxGenerator(pack, 1, true);
    fresh = new OnnxGenerator(pack, 1, false);
  }

  @AfterAll
  static void close() {
    pooled.close();
    fresh.close();
  }

  @Test
  void pooledInputsGiveBitIdenticalTokensAndResidualsAcrossChangingBatchShapes() {
    // one pooled generator through batches that widen, narrow, shrink as rows finish, and steer
    float[] v = new float[pack.architecture().dModel()];
    for (int j = 0; j < v.length; j++) {
      v[j] = j % 3 == 0 ? 4f : -2f;
    }
    List<List<GenerationRequest>> batches = new ArrayList<>();
    batches.add(sampled(8, 60, 10));
    batches.add(sampled(1, 40, 20));
    batches.add(sampled(16, 80, 30));
    List<GenerationRequest> steered = new ArrayList<>(sampled(4, 50, 40));
    steered.set(1, steered.get(1).withSteering(Steering.everywhere(v)));
    steered.set(2, steered.get(2).withSteering(Steering.window(v, 70, 90)));
    batches.add(steered);
    batches.add(sampled(8, 60, 10)); // the first shape again, after the buffers grew
    for (int k = 0; k < batches.size(); k++) {
      List<GenerationResult> a = pooled.generate(batches.get(k));
      List<GenerationResult> b = fresh.generate(batches.get(k));
      for (int i = 0; i < a.size(); i++) {
        String where = "batch " + k + " row " + i;
        assertArrayEquals(b.get(i).tokens(), a.get(i).tokens(), where);
        assertEquals(b.get(i).text(), a.get(i).text(), where);
        for (int t = 0; t < b.get(i).tokens().length; t++) {
          assertArrayEquals(b.get(i).hookResiduals()[t], a.get(i).hookResiduals()[t], 0f, where + " residual " + t);
        }
      }
    }
  }

  @Test
  void aPassWithoutSteeringAfterASteeredPassOfTheSameShapeSeesZeros() {
    int[] prompt = pooled.tokenizer().encode(pack.prompt(GeneratorTest.QUESTIONS.get(0)), pack.addBos());
    int t = prompt.length;
    int d = pack.architecture().dModel();
    long[] ids = new long[t];
    long[] pos = new long[t];
    long[] mask = new long[t];
    float[] steer = new float[t * d];
    for (int i = 0; i < t; i++) {
      ids[i] = prompt[i];
      pos[i] = i;
      mask[i] = 1;
    }
    java.util.Arrays.fill(steer, 3f);
    OnnxDecoder decoder = pooled.decoder();
    try (OnnxDecoder.Pass steered = decoder.forward(ids, pos, mask, steer, 1, t, null);
         OnnxDecoder.Pass plain = decoder.forward(ids, pos, mask, null, 1, t, null);
         OnnxDecoder.Pass reference = fresh.decoder().forward(ids, pos, mask, null, 1, t, null)) {
      assertArrayEquals(reference.logits(0, t - 1), plain.logits(0, t - 1), 0f);
      assertEquals(false, java.util.Arrays.equals(reference.logits(0, t - 1), steered.logits(0, t - 1)), "steering changed nothing");
    }
  }

  static List<GenerationRequest> sampled(int n, int maxNew, long seed) {
    return sampledFor(pack, n, maxNew, seed);
  }

  /** n sampled requests (T = 0.7) over the test questions, seeds from {@code seed}. */
  static List<GenerationRequest> sampledFor(ModelPack pack, int n, int maxNew, long seed) {
    List<GenerationRequest> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String q = GeneratorTest.QUESTIONS.get(i % GeneratorTest.QUESTIONS.size());
      out.add(new GenerationRequest(pack.prompt(q), maxNew, 0.7f, 0.95f, seed + i, Steering.NONE));
    }
    return out;
  }
}
