package dev.saerl.workers.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.saerl.workers.pack.ModelPackException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's binding of the Rust tokenizers library
 * (from Maven Central, native code inside the jar, no download with {@code ai.djl.offline=true}).
 * Chosen over a hand-written tokenizer so real checkpoints (BPE with merges, byte fallback)
 * tokenize exactly as in Python.
 */
public final class HfTokenizer implements Tokenizer {
  private final HuggingFaceTokenizer tokenizer;
  private final int bosId;

  public HfTokenizer(Path tokenizerJson, int bosId) {
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false", "maxLength", "1000000"));
    } catch (IOException | RuntimeException e) {
      throw new ModelPackException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
    }
    this.bosId = bosId;
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
