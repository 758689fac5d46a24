package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaeBatchTest {
  @Test
  void encodingABatchOfSamplesTogetherGivesEachSampleTheCodesItGetsAlone() {
    ModelPack pack = ModelPack.load(BundledPack.dir());
    List<float[][]> samples;
    try (OnnxGenerator generator = new OnnxGenerator(pack, 1)) {
      // the worker's shape: a batch of sampled rows of different lengths, more rows than one encoder run
      samples = generator.generate(PassInputsTest.sampledFor(pack, 12, 80, 7)).stream()
          .map(GenerationResult::hookResiduals).toList();
    }
    int rows = samples.stream().mapToInt(r -> r.length).sum();
    assertTrue(rows > 2 * SparseAutoencoder.ENCODE_RUN_ROWS, "the samples span several encoder runs: " + rows + " rows");
    try (SparseAutoencoder onnx = new OnnxSparseAutoencoder(pack, 1); SparseAutoencoder java = new JavaSparseAutoencoder(pack)) {
      for (SparseAutoencoder sae : List.of(onnx, java)) {
        List<List<SparseCodes>> batched = sae.encodeEach(samples);
        assertEquals(samples.size(), batched.size());
        for (int s = 0; s < samples.size(); s++) {
          List<SparseCodes> alone = sae.encode(samples.get(s));
          assertEquals(alone.size(), batched.get(s).size(), "sample " + s);
          for (int t = 0; t < alone.size(); t++) {
            String where = sae.getClass().getSimpleName() + " sample " + s + " token " + t;
            assertArrayEquals(alone.get(t).ids(), batched.get(s).get(t).ids(), where);
            assertArrayEquals(alone.get(t).values(), batched.get(s).get(t).values(), 0f, where);
          }
        }
      }
    }
  }
}
