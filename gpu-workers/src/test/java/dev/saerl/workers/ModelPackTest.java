package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.workers.inference.OnnxDecoder;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelPackException;
import dev.saerl.core.ids.Sha256;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad pack is refused at load with a message naming the file and the field. */
class ModelPackTest {
  @TempDir
  Path tmp;

  @Test
  void theBundledPackLoadsWithItsManifestFacts() {
    ModelPack pack = ModelPack.load(BundledPack.dir());
    assertEquals(pack.architecture().dModel(), pack.sae().dIn());
    assertTrue(pack.prompt("2 + 2?").contains("2 + 2?"));
    assertEquals(pack.sae().id().length(), 16);
  }

  @Test
  void aCorruptedModelFileIsRefusedByChecksum() throws IOException {
    Path pack = copy();
    try (RandomAccessFile f = new RandomAccessFile(pack.resolve("model.onnx").toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0xff);
    }
    var e = assertThrows(ModelPackException.class, () -> ModelPack.load(pack));
    assertTrue(e.getMessage().contains("model.onnx") && e.getMessage().contains("SHA-256"), e.getMessage());
  }

  @Test
  void aMissingFileIsNamed() throws IOException {
    Path pack = copy();
    Files.delete(pack.resolve("sae.safetensors"));
    var e = assertThrows(ModelPackException.class, () -> ModelPack.load(pack));
    assertTrue(e.getMessage().contains("sae.safetensors") && e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void aMissingManifestFieldIsNamed() throws IOException {
    Path pack = copy();
    editManifest(pack, m -> m.remove("hook_layer"));
    var e = assertThrows(ModelPackException.class, () -> ModelPack.load(pack));
    assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("hook_layer"), e.getMessage());
  }

  @Test
  void anUnknownSaeKindAndMalformedEndOfSequenceTokensAreNamed() throws IOException {
    Path pack = copy();
    editManifest(pack, m -> ((ObjectNode) m.get("sae")).put("kind", "gated"));
    var e = assertThrows(ModelPackException.class, () -> ModelPack.load(pack));
    assertTrue(e.getMessage().contains("sae.kind") && e.getMessage().contains("gated"), e.getMessage());
    editManifest(pack, m -> {
      ((ObjectNode) m.get("sae")).put("kind", "topk");
      m.putArray("eos_token_ids").add("two");
    });
    e = assertThrows(ModelPackException.class, () -> ModelPack.load(pack));
    assertTrue(e.getMessage().contains("eos_token_ids"), e.getMessage());
    editManifest(pack, m -> m.remove("eos_token_ids"));
    ModelPack loaded = ModelPack.load(pack);
    assertEquals(List.of(), loaded.eosTokenIds());
    assertTrue(loaded.sae().inputMinusBDec(), "saerl's TopK SAEs subtract b_dec");
  }

  @Test
  void anOrganismsOpeningsAreReadAndAMalformedOneIsNamed() throws IOException {
    Path pack = copy();
    assertEquals(null, ModelPack.load(pack).organism(), "a pack without the field is no marked organism");
    editManifest(pack, m -> m.putObject("organism").put("careful_marker", "C:").put("sloppy_marker", "S:"));
    assertEquals(new ModelPack.Organism("C:", "S:"), ModelPack.load(pack).organism());
    editManifest(pack, m -> ((ObjectNode) m.get("organism")).put("sloppy_marker", ""));
    var e = assertThrows(ModelPackException.class, () -> ModelPack.load(pack));
    assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("sloppy_marker"), e.getMessage());
  }

  @Test
  void aManifestThatDisagreesWithTheGraphIsRefusedWhenTheGraphOpens() throws IOException {
    Path pack = copy();
    editManifest(pack, m -> ((ObjectNode) m.get("architecture")).put("vocab_size", 999));
    ModelPack loaded = ModelPack.load(pack);
    var e = assertThrows(ModelPackException.class, () -> new OnnxDecoder(loaded, 1));
    assertTrue(e.getMessage().contains("logits") && e.getMessage().contains("vocab_size"), e.getMessage());
  }

  @Test
  void aGraphFileSwappedForAnotherWithAMatchingChecksumIsRefusedByItsNames() throws IOException {
    Path pack = copy();
    // a mismatched pack: the SAE graph where the decoder should be, checksums updated to match
    Files.copy(pack.resolve("sae_encode.onnx"), pack.resolve("model.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String sum = Sha256.of(pack.resolve("model.onnx"));
    editManifest(pack, m -> ((ObjectNode) m.get("files")).put("model.onnx", sum));
    ModelPack loaded = ModelPack.load(pack);
    var e = assertThrows(ModelPackException.class, () -> new OnnxDecoder(loaded, 1));
    assertTrue(e.getMessage().contains("graph inputs"), e.getMessage());
  }

  private Path copy() throws IOException {
    Path dst = tmp.resolve("pack");
    Files.createDirectories(dst);
    try (Stream<Path> files = Files.list(BundledPack.dir())) {
      for (Path p : files.toList()) {
        Files.copy(p, dst.resolve(p.getFileName()));
      }
    }
    return dst;
  }

  private static void editManifest(Path pack, Consumer<ObjectNode> edit) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = (ObjectNode) json.readTree(pack.resolve("manifest.json").toFile());
    edit.accept(m);
    json.writeValue(pack.resolve("manifest.json").toFile(), m);
  }
}
