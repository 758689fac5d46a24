package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.KvCache;
import dev.saerl.workers.inference.OnnxDecoder;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {
  static ModelPack pack;
  static OnnxGenerator generator;
  static final List<String> QUESTIONS = List.of(
      "Mia has 12 apples. She buys 30 more. How many apples does Mia have now?",
      "There are 250 coins in Ben's box. 17 coins are taken out of the box. The box now holds 3 times as many coins. How many coins are in the box now?",
      "Zoe starts with 8 pens. Then she finds 5 more pens. Then she loses 2 pens. How many pens does Zoe have in the end?");

  @BeforeAll
  static void load() {
    pack = ModelPack.load(BundledPack.dir());
    generator = new OnnxGenerator(pack, 1);
  }

  @AfterAll
  static void close() {
    generator.close();
  }

  @Test
  void aRowGivesTheSameTokensAloneAndInALeftPaddedBatch() {
    List<GenerationRequest> batch = new ArrayList<>();
    for (int i = 0; i < QUESTIONS.size(); i++) {
      batch.add(new GenerationRequest(pack.prompt(QUESTIONS.get(i)), 80, i == 0 ? 0f : 0.7f, 0.95f, 1000 + i, Steering.NONE));
    }
    List<GenerationResult> together = generator.generate(batch);
    for (int i = 0; i < batch.size(); i++) {
      GenerationResult alone = generator.generate(List.of(batch.get(i))).get(0);
      assertArrayEquals(alone.tokens(), together.get(i).tokens(), "row " + i);
      assertEquals(alone.text(), together.get(i).text());
    }
  }

  @Test
  void sharedAndGroupedPrefillsGiveEachRowWhatItGetsAlone() {
    // identical prompts share one prefill unless their prompt steering differs; lengths 1-2x apart
    // prefill in separate groups; forced tokens lengthen a prompt
    float[] v = new float[pack.architecture().dModel()];
    for (int j = 0; j < v.length; j++) {
      v[j] = j % 2 == 0 ? 5f : -5f;
    }
    String q0 = pack.prompt(QUESTIONS.get(0));
    List<GenerationRequest> batch = List.of(
        GenerationRequest.greedy(q0, 40),
        GenerationRequest.greedy(q0, 40).withSteering(Steering.everywhere(v)),
        GenerationRequest.greedy(q0, 40).withSteering(Steering.window(v, 60, 200)), // steers only generated tokens
        new GenerationRequest(q0, 40, 0.9f, 1f, 5, Steering.NONE),
        new GenerationRequest(q0, 40, 0.9f, 1f, 6, Steering.NONE),
        GenerationRequest.greedy(pack.prompt(QUESTIONS.get(1)), 40),
        GenerationRequest.greedy(q0, 40).continuing(new int[] {10, 11, 12}),
        GenerationRequest.greedy(pack.prompt(QUESTIONS.get(2)), 40));
    List<GenerationResult> together = generator.generate(batch);
    for (int i = 0; i < batch.size(); i++) {
      GenerationResult alone = generator.generate(List.of(batch.get(i))).get(0);
      assertArrayEquals(alone.tokens(), together.get(i).tokens(), "row " + i);
      for (int t = 0; t < alone.tokens().length; t++) {
        assertArrayEquals(alone.hookResiduals()[t], together.get(i).hookResiduals()[t], 1e-4f, "row " + i + " residual " + t);
      }
    }
    assertTrue(!java.util.Arrays.equals(together.get(0).tokens(), together.get(1).tokens()), "steering changed nothing");
  }

  @Test
  void aCacheThatHasToGrowGivesWhatACacheWithRoomGives() {
    OnnxDecoder decoder = generator.decoder();
    int[] prompt = generator.tokenizer().encode(pack.prompt(QUESTIONS.get(1)), true);
    int t = prompt.length;
    long[] ids = new long[t];
    long[] pos = new long[t];
    long[] mask = new long[t];
    for (int i = 0; i < t; i++) {
      ids[i] = prompt[i];
      pos[i] = i;
      mask[i] = 1;
    }
    try (KvCache tight = decoder.newCache(1, t); KvCache roomy = decoder.newCache(1, t + 40)) {
      long next = -1;
      for (int step = 0; step <= 30; step++) {
        long[] in = step == 0 ? ids : new long[] {next};
        long[] p = step == 0 ? pos : new long[] {t + step - 1};
        long[] m = step == 0 ? mask : new long[] {1};
        int seq = in.length;
        try (OnnxDecoder.Pass a = decoder.forward(in, p, m, null, 1, seq, tight);
             OnnxDecoder.Pass b = decoder.forward(in, p, m, null, 1, seq, roomy)) {
          assertArrayEquals(b.logits(0, seq - 1), a.logits(0, seq - 1), 1e-5f, "step " + step);
          float[] l = a.logits(0, seq - 1);
          int best = 0;
          for (int i = 1; i < l.length; i++) {
            best = l[i] > l[best] ? i : best;
          }
          next = best;
        }
      }
      assertTrue(tight.capacity() > t, "the tight cache grew");
    }
  }

  @Test
  void theSameSeedGivesTheSameSampleAndTheStopStringIsCut() {
    var req = new GenerationRequest(pack.prompt(QUESTIONS.get(1)), 100, 0.7f, 1f, 77, Steering.NONE);
    var a = generator.generate(List.of(req)).get(0);
    var b = generator.generate(List.of(req)).get(0);
    assertArrayEquals(a.tokens(), b.tokens());
    assertTrue(!a.text().contains("\n"), a.text());
    assertEquals(a.tokens().length, a.hookResiduals().length);
    assertEquals(pack.architecture().dModel(), a.hookResiduals()[0].length);
  }

  @Test
  void aRowThatHitsTheLengthLimitStillHasAResidualPerToken() {
    var r = generator.generate(List.of(GenerationRequest.greedy(pack.prompt(QUESTIONS.get(0)), 5))).get(0);
    assertEquals(GenerationResult.FinishReason.LENGTH, r.finishReason());
    assertEquals(5, r.tokens().length);
    assertEquals(5, r.hookResiduals().length);
  }

  @Test
  void onnxAndJavaSaesAgreeOnGeneratedResiduals() {
    var r = generator.generate(List.of(GenerationRequest.greedy(pack.prompt(QUESTIONS.get(2)), 60))).get(0);
    try (var onnx = new OnnxSparseAutoencoder(pack, 1)) {
      var java = new JavaSparseAutoencoder(pack);
      List<SparseCodes> a = onnx.encode(r.hookResiduals());
      List<SparseCodes> b = java.encode(r.hookResiduals());
      for (int i = 0; i < a.size(); i++) {
        assertArrayEquals(a.get(i).ids(), b.get(i).ids(), "token " + i);
        for (int j = 0; j < a.get(i).values().length; j++) {
          assertEquals(a.get(i).values()[j], b.get(i).values()[j], 1e-4);
        }
      }
    }
  }

  @Test
  void steeringChangesWhatFollowsWhileTheResidualRecordedWhereItIsAddedStaysTheModelsOwn() {
    var java = new JavaSparseAutoencoder(pack);
    String prompt = pack.prompt(QUESTIONS.get(0));
    int promptLen = generator.tokenizer().encode(prompt, pack.addBos()).length;
    var plain = generator.generate(List.of(GenerationRequest.greedy(prompt, 30))).get(0);
    double norm = 0;
    for (float x : plain.hookResiduals()[0]) {
      norm += x * x;
    }
    float scale = (float) (2 * Math.sqrt(norm)); // strong enough to matter against the stream's own size
    int changed = 0;
    int tried = 0;
    for (int feature = 0; feature < java.features(); feature += java.features() / 8) {
      float[] v = java.direction(feature);
      for (int i = 0; i < v.length; i++) {
        v[i] *= scale;
      }
      // steer positions promptLen..promptLen+4; generated token i is fed at promptLen + i, where its
      // residual is read; token 0 was sampled from the unsteered prompt, so both runs feed it at promptLen
      var steered = generator.generate(List.of(GenerationRequest.greedy(prompt, 30)
          .withSteering(Steering.window(v, promptLen, promptLen + 5)))).get(0);
      assertEquals(plain.tokens()[0], steered.tokens()[0]);
      assertArrayEquals(plain.hookResiduals()[0], steered.hookResiduals()[0],
          "the residual recorded at a steered position is read before the addition (pack format 3)");
      tried++;
      // downstream: the steered positions' logits choose the next tokens, so the text after them moves
      if (!plain.text().equals(steered.text())) {
        changed++;
      }
    }
    assertTrue(changed >= tried - 1, "steering changed the continuation for only " + changed + " of " + tried + " features");
  }
  @Test
  void aTokenSinkSeesEachKeptTokenAndCanEndItsRow() {
    List<GenerationRequest> batch = List.of(GenerationRequest.greedy(pack.prompt(QUESTIONS.get(0)), 60),
        GenerationRequest.greedy(pack.prompt(QUESTIONS.get(1)), 60));
    List<GenerationResult> plain = generator.generate(batch);
    List<List<Integer>> seen = List.of(new ArrayList<>(), new ArrayList<>());
    List<GenerationResult> sunk = generator.generate(batch, (row, token) -> {
      seen.get(row).add(token);
      return row != 0 || seen.get(0).size() < 3; // end row 0 after its third token
    });
    assertArrayEquals(java.util.Arrays.copyOf(plain.get(0).tokens(), 3), sunk.get(0).tokens());
    assertEquals(GenerationResult.FinishReason.STOP, sunk.get(0).finishReason());
    assertArrayEquals(plain.get(1).tokens(), sunk.get(1).tokens(), "the other row runs on");
    assertArrayEquals(plain.get(1).tokens(), seen.get(1).stream().mapToInt(Integer::intValue).toArray());
  }
}
