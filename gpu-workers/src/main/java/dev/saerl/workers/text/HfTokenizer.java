package dev.saerl.workers.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.workers.pack.ModelPackException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's binding of the Rust tokenizers library
 * (from Maven Central, native code inside the jar, no download with {@code ai.djl.offline=true}).
 * Chosen over a hand-written tokenizer so real checkpoints (BPE with merges, byte fallback)
 * tokenize exactly as in Python.
 */
public final class HfTokenizer implements Tokenizer {
  /**
   * Decoders under which a sequence decodes to its tokens' own texts concatenated, while each is
   * whole characters: Fuse joins them; ByteLevel maps each token to its bytes, so valid pieces join
   * into valid text; ByteFallback turns byte tokens into bytes, and one that is a whole character
   * alone is ASCII. Others (Metaspace, WordPiece, Strip) depend on neighbours; those and any not
   * listed (Replace included, though alone it is per token) are left to prefix decoding.
   */
  static final Set<String> PIECEWISE_DECODERS = Set.of("Fuse", "ByteLevel", "ByteFallback");

  private final HuggingFaceTokenizer tokenizer;
  private final int bosId;
  private final boolean piecewise;
  private final Map<Integer, String> pieces = new ConcurrentHashMap<>();

  public HfTokenizer(Path tokenizerJson, int bosId) {
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false", "maxLength", "1000000"));
    } catch (IOException | RuntimeException e) {
      throw new ModelPackException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
    }
    this.bosId = bosId;
    this.piecewise = piecewise(tokenizerJson);
  }

  /** Whether the file's decoder (or every step of a Sequence of them) is one of {@link #PIECEWISE_DECODERS}. */
  static boolean piecewise(Path tokenizerJson) {
    try {
      JsonNode decoder = new ObjectMapper().readTree(tokenizerJson.toFile()).path("decoder");
      if ("Sequence".equals(decoder.path("type").asText())) {
        boolean all = decoder.path("decoders").size() > 0;
        for (JsonNode d : decoder.path("decoders")) {
          all &= PIECEWISE_DECODERS.contains(d.path("type").asText());
        }
        return all;
      }
      return PIECEWISE_DECODERS.contains(decoder.path("type").asText());
    } catch (IOException e) {
      throw new ModelPackException("cannot read tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean decodesPieceByPiece() {
    return piecewise;
  }

  @Override
  public String piece(int id) {
    return pieces.computeIfAbsent(id, k -> decode(new int[] {k}));
  }

  @Override
  public int[] encode(String text, boolean addBos) {
    Encoding enc = tokenizer.encode(text, false, false);
    long[] ids = enc.getIds();
    int off = addBos ? 1 : 0;
    int[] out = new int[ids.length + off];
    if (addBos) {
      out[0] = bosId;
    }
    for (int i = 0; i < ids.length; i++) {
      out[i + off] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, true);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
