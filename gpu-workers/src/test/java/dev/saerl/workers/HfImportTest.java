package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.GoldenCheck;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Hugging Face importer end to end: the foundry writes tiny random Llama, Qwen2, Gemma-2, Gemma and
 * Mistral checkpoints in Hugging Face layout and SAEs in SAELens, sparsify, Goodfire and Gemma Scope
 * layouts, checks each SAE conversion against the release's formulas and each model against an
 * independent NumPy forward, and imports them as packs (foundry/tiny.py); here each pack runs on
 * ONNX Runtime and must reproduce the foundry's PyTorch outputs.
 */
@Tag("integration")
class HfImportTest {
  @TempDir
  static Path out;
  static JsonNode tiny;

  @BeforeAll
  static void importTinyCheckpoints() throws Exception {
    BundledPack.runFoundry("foundry.tiny", out);
    tiny = new ObjectMapper().readTree(out.resolve("tiny.json").toFile());
  }

  static ModelPack pack(String model) {
    return ModelPack.load(Path.of(tiny.path("packs").path(model).path("dir").asText()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "qwen2", "gemma2", "gemma", "mistral"})
  void prefillCachedDecodeAndSaeCodesMatchThePyTorchGolden(String model) {
    ModelPack pack = pack(model);
    assertEquals(tiny.path("packs").path(model).path("hook_layer").asInt(), pack.hookLayer());
    try (OnnxGenerator generator = new OnnxGenerator(pack, 1); SparseAutoencoder onnxSae = new OnnxSparseAutoencoder(pack, 1)) {
      GoldenCheck.Report report = GoldenCheck.run(pack, generator.decoder(), List.of(onnxSae, new JavaSparseAutoencoder(pack)));
      assertEquals(List.of(), report.mismatches(), model);
      // 2 modes x (prefill logits, hook, 8 decode steps, 2 SAEs)
      assertEquals(24, report.differences().size(), model);
      for (GoldenCheck.Difference d : report.differences()) {
        assertTrue(d.ok(), model + " " + d);
      }
    }
  }

  @Test
  void fp16WeightsLiveInExternalDataAndTheManifestKeepsTheCheckpointsFacts() {
    ModelPack qwen = pack("qwen2");
    assertTrue(qwen.files().containsKey("model.onnx.data"), qwen.files().keySet().toString());
    assertEquals(List.of(2), qwen.eosTokenIds());
    assertEquals(false, qwen.addBos());
    ModelPack llama = pack("llama");
    assertEquals("jumprelu", llama.sae().kind());
    assertEquals(false, llama.sae().inputMinusBDec());
    assertEquals("topk", qwen.sae().kind());
    assertEquals(true, qwen.sae().inputMinusBDec());
    assertEquals("relu", pack("mistral").sae().kind());
  }

  @Test
  void generationStopsAtAnEndOfSequenceTokenWithoutKeepingIt() throws Exception {
    ModelPack llama = pack("llama");
    Path copy = out.resolve("llama-eos");
    String prompt = llama.prompt("Tom has 3 pens. He buys 4 more. How many pens?");
    int[] free;
    try (OnnxGenerator g = new OnnxGenerator(withEos(llama, copy.resolve("none"), List.of()), 1)) {
      free = g.generate(List.of(GenerationRequest.greedy(prompt, 10))).get(0).tokens();
    }
    assertEquals(10, free.length);
    int at = 1; // the first token not seen before it
    while (at < free.length && contains(free, at, free[at])) {
      at++;
    }
    assertTrue(at < free.length, "greedy tokens repeat: " + java.util.Arrays.toString(free));
    try (OnnxGenerator g = new OnnxGenerator(withEos(llama, copy.resolve("eos"), List.of(free[at])), 1)) {
      GenerationResult r = g.generate(List.of(GenerationRequest.greedy(prompt, 10))).get(0);
      assertArrayEquals(java.util.Arrays.copyOf(free, at), r.tokens());
      assertEquals(GenerationResult.FinishReason.STOP, r.finishReason());
      assertEquals(at, r.hookResiduals().length);
    }
  }

  /** A copy of the pack whose manifest names other end-of-sequence tokens. */
  static ModelPack withEos(ModelPack pack, Path dir, List<Integer> eos) throws Exception {
    Files.createDirectories(dir);
    for (String f : pack.files().keySet()) {
      Files.copy(pack.file(f), dir.resolve(f));
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = (ObjectNode) json.readTree(pack.file(ModelPack.MANIFEST).toFile());
    var ids = m.putArray("eos_token_ids");
    eos.forEach(ids::add);
    json.writeValue(dir.resolve(ModelPack.MANIFEST).toFile(), m);
    return ModelPack.load(dir);
  }

  static boolean contains(int[] a, int before, int x) {
    for (int i = 0; i < before; i++) {
      if (a[i] == x) {
        return true;
      }
    }
    return false;
  }
}
