package dev.saerl.workers.inference;

import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generation without a KV cache in which the hook residual itself is edited: every step runs the
 * whole sequence twice, first to read the model's own hook residuals (pack format 3 reads them
 * before steer, so they do not depend on the edit), then with {@code steer = edit(h) - h} at every
 * position, so the layers after the hook see {@code edit(h)} in place of {@code h}. That is how
 * the gates splice in the SAE reconstruction or zero the stream. Slow on purpose (quadratic in
 * length); with the identity edit it is also the no-cache reference for the cached generator:
 * the same requests, seeds and sampler, so the tokens should match bit for bit.
 */
public final class EditedGeneration {
  /** What the layers after the hook see instead of the residual {@code h}; null leaves h alone. */
  @FunctionalInterface
  public interface Edit {
    Edit NONE = h -> null;

    float[] replace(float[] h);
  }

  private final OnnxDecoder decoder;
  private final Tokenizer tokenizer;
  private final ModelPack pack;

  public EditedGeneration(OnnxGenerator generator) {
    this.decoder = generator.decoder();
    this.tokenizer = generator.tokenizer();
    this.pack = generator.pack();
  }

  /** The completions (forced tokens excluded, cut before a stop string) of each request, in batches of {@code maxBatch}. */
  public List<String> generate(List<GenerationRequest> requests, Edit edit, int maxBatch) {
    List<String> out = new ArrayList<>(requests.size());
    for (int from = 0; from < requests.size(); from += maxBatch) {
      out.addAll(batch(requests.subList(from, Math.min(requests.size(), from + maxBatch)), edit));
    }
    return out;
  }

  private List<String> batch(List<GenerationRequest> requests, Edit edit) {
    int n = requests.size();
    int d = decoder.architecture().dModel();
    int[][] seq = new int[n][];
    int[] promptLen = new int[n];
    SplittableRandom[] rng = new SplittableRandom[n];
    String[] text = new String[n];
    List<List<Integer>> tokens = new ArrayList<>();
    for (int b = 0; b < n; b++) {
      GenerationRequest r = requests.get(b);
      int[] prompt = tokenizer.encode(r.prompt(), pack.addBos());
      seq[b] = Arrays.copyOf(prompt, prompt.length + r.forcedTokens().length);
      System.arraycopy(r.forcedTokens(), 0, seq[b], prompt.length, r.forcedTokens().length);
      promptLen[b] = seq[b].length;
      rng[b] = new SplittableRandom(r.seed());
      tokens.add(new ArrayList<>());
    }
    for (int step = 0; ; step++) {
      List<Integer> live = new ArrayList<>();
      for (int b = 0; b < n; b++) {
        if (text[b] == null && tokens.get(b).size() < requests.get(b).maxNewTokens()) {
          live.add(b);
        }
      }
      if (live.isEmpty()) {
        break;
      }
      int[][] rows = new int[live.size()][];
      int width = 0;
      for (int i = 0; i < rows.length; i++) {
        rows[i] = seq[live.get(i)];
        width = Math.max(width, rows[i].length);
      }
      OnnxGenerator.LeftPadded in = new OnnxGenerator.LeftPadded(rows, width, pack.padTokenId());
      float[] steer = null;
      try (OnnxDecoder.Pass own = decoder.forward(in.ids, in.pos, in.mask, null, rows.length, width, null)) {
        for (int i = 0; i < rows.length; i++) {
          for (int t = width - rows[i].length; t < width; t++) {
            float[] h = own.hook(i, t);
            float[] replaced = edit.replace(h);
            if (replaced != null) {
              steer = steer == null ? new float[rows.length * width * d] : steer;
              for (int j = 0; j < d; j++) {
                steer[(i * width + t) * d + j] = replaced[j] - h[j];
              }
            }
          }
        }
      }
      try (OnnxDecoder.Pass pass = decoder.forward(in.ids, in.pos, in.mask, steer, rows.length, width, null)) {
        for (int i = 0; i < rows.length; i++) {
          int b = live.get(i);
          GenerationRequest r = requests.get(b);
          int token = Sampler.next(pass.logits(i, width - 1), r.temperature(), r.topP(), rng[b]);
          if (pack.eosTokenIds().contains(token)) {
            text[b] = decode(tokens.get(b));
            continue;
          }
          tokens.get(b).add(token);
          seq[b] = Arrays.copyOf(seq[b], seq[b].length + 1);
          seq[b][seq[b].length - 1] = token;
          String sofar = decode(tokens.get(b));
          for (String stop : pack.stopStrings()) {
            int cut = sofar.indexOf(stop);
            if (cut >= 0 && (text[b] == null || cut < text[b].length())) {
              text[b] = sofar.substring(0, cut);
            }
          }
        }
      }
    }
    List<String> out = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      out.add(text[b] != null ? text[b] : decode(tokens.get(b)));
    }
    return out;
  }

  private String decode(List<Integer> t) {
    return tokenizer.decode(t.stream().mapToInt(Integer::intValue).toArray());
  }
}
