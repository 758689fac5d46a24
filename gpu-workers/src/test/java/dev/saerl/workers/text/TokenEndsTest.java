package dev.saerl.workers.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.workers.BundledPack;
import dev.saerl.workers.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Tokenizer#tokenEnds} (pieces added up, where that is exact) against its definition, {@link Tokenizer#prefixTokenEnds}. */
class TokenEndsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void piecewiseTokenEndsEqualPrefixDecodesOnTheBundledPacksTexts() throws Exception {
    Path datasets = BundledPack.dir().resolveSibling("../datasets").normalize();
    int compared = 0;
    for (String name : List.of("arith", "modes", "modes-null")) {
      ModelPack pack = ModelPack.load(BundledPack.dir().resolveSibling(name));
      try (HfTokenizer tokenizer = new HfTokenizer(pack.file(ModelPack.TOKENIZER_FILE), pack.bosTokenId())) {
        assertTrue(tokenizer.decodesPieceByPiece(), name + ": the bundled tokenizer's Fuse decoder joins pieces");
        List<String> lines = Files.readAllLines(datasets.resolve(name + ".jsonl"));
        for (String line : lines.subList(0, Math.min(120, lines.size()))) {
          JsonNode q = JSON.readTree(line);
          String question = q.path("question").asText();
          String solution = q.path("solution").asText();
          for (String text : List.of(question, solution, pack.prompt(question) + solution)) {
            int[] ids = tokenizer.encode(text, pack.addBos());
            assertArrayEquals(tokenizer.prefixTokenEnds(ids), tokenizer.tokenEnds(ids), name + ": " + text);
            compared++;
          }
        }
        // special tokens decode to nothing, alone and in a prefix
        int[] ids = tokenizer.encode("3 + 4 = 7.", true);
        int[] padded = new int[ids.length + 2];
        System.arraycopy(ids, 0, padded, 0, ids.length);
        padded[ids.length] = pack.padTokenId();
        padded[ids.length + 1] = ids[1];
        assertArrayEquals(tokenizer.prefixTokenEnds(padded), tokenizer.tokenEnds(padded), name + ": special tokens");
      }
    }
    assertTrue(compared >= 3 * 3 * 100, "compared " + compared + " texts");
  }

  @Test
  void byteLevelTokensThatSplitACharacterGiveThePrefixDecodes(@TempDir Path dir) throws Exception {
    Path file = byteLevelTokenizer(dir);
    try (HfTokenizer tokenizer = new HfTokenizer(file, 0)) {
      assertTrue(tokenizer.decodesPieceByPiece());
      // é is one token (a merge), € is three byte tokens that are whole only together
      for (String text : List.of("a é b", "a € b é", "€", "plain ascii")) {
        int[] ids = tokenizer.encode(text, false);
        assertArrayEquals(tokenizer.prefixTokenEnds(ids), tokenizer.tokenEnds(ids), text);
      }
      int[] euro = tokenizer.encode("x€", false);
      assertEquals(4, euro.length, "€ splits into its three bytes");
      int[] cut = java.util.Arrays.copyOf(euro, 3); // ends inside the character
      assertArrayEquals(tokenizer.prefixTokenEnds(cut), tokenizer.tokenEnds(cut));
    }
  }

  @Test
  void aTokenizerWhoseFirstPieceLosesItsLeadingSpaceGivesThePrefixDecodes() {
    // like sentencepiece's Metaspace: "▁b" alone is "b", after "a" it is " b"; claims to be piecewise
    Tokenizer metaspace = new Tokenizer() {
      final String[] vocab = {"a", " b", " c", "d"};

      @Override
      public int[] encode(String text, boolean addBos) {
        throw new UnsupportedOperationException();
      }

      @Override
      public String decode(int[] ids) {
        StringBuilder s = new StringBuilder();
        for (int id : ids) {
          s.append(vocab[id]);
        }
        return s.toString().stripLeading();
      }

      @Override
      public boolean decodesPieceByPiece() {
        return true;
      }
    };
    int[] ids = {0, 1, 3, 2, 2};
    assertArrayEquals(new int[] {1, 3, 4, 6, 8}, metaspace.prefixTokenEnds(ids));
    assertArrayEquals(metaspace.prefixTokenEnds(ids), metaspace.tokenEnds(ids));
  }

  @Test
  void onlyDecodersThatJoinPiecesArePiecewise(@TempDir Path dir) throws Exception {
    Map<String, Boolean> cases = Map.of(
        "{\"type\": \"Fuse\"}", true,
        "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}", true,
        "{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}]}", true,
        "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"always\", \"split\": true}", false,
        "{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\"}, {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"},"
            + " {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]}", false,
        "null", false);
    int i = 0;
    for (var c : cases.entrySet()) {
      Path f = dir.resolve("t" + i++ + ".json");
      Files.writeString(f, "{\"decoder\": " + c.getKey() + "}");
      assertEquals(c.getValue(), HfTokenizer.piecewise(f), c.getKey());
    }
  }

  /** A byte-level BPE over the 256 byte symbols of GPT-2, with one merge: é (C3 A9) as one token. */
  static Path byteLevelTokenizer(Path dir) throws Exception {
    List<Character> symbols = byteSymbols();
    ObjectNode vocab = JSON.createObjectNode();
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(symbols.get(b)), b);
    }
    String e1 = String.valueOf(symbols.get(0xC3));
    String e2 = String.valueOf(symbols.get(0xA9));
    vocab.put(e1 + e2, 256);
    ObjectNode model = JSON.createObjectNode().put("type", "BPE").putNull("dropout").putNull("unk_token")
        .putNull("continuing_subword_prefix").putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false);
    model.set("vocab", vocab);
    ArrayNode merges = model.putArray("merges");
    merges.add(e1 + " " + e2);
    ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
        .put("trim_offsets", true).put("use_regex", true);
    ObjectNode root = JSON.createObjectNode().put("version", "1.0").putNull("truncation").putNull("padding");
    root.putArray("added_tokens");
    root.putNull("normalizer");
    root.set("pre_tokenizer", byteLevel);
    root.putNull("post_processor");
    root.set("decoder", byteLevel);
    root.set("model", model);
    Path file = dir.resolve("tokenizer.json");
    JSON.writeValue(file.toFile(), root);
    return file;
  }

  /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest for 256 + n. */
  static List<Character> byteSymbols() {
    Character[] out = new Character[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      out[b] = (char) (printable ? b : 256 + n++);
    }
    return new ArrayList<>(List.of(out));
  }
}
