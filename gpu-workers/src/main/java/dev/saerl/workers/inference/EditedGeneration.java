package dev.saerl.workers.inference;

import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generation in which the hook residual itself is edited: the layers after the hook see
 * {@code edit(h)} in place of the model's own {@code h}, at every position. Each pass runs twice:
 * first a look (the KV cache read, not extended) at the hook residuals, which pack format 3 reads
 * before steer, so they do not depend on the edit; then the pass that counts, with
 * {@code steer = edit(h) - h}. That is how the gates splice in the SAE reconstruction or zero the
 * stream. The same requests, seeds and sampler as {@link OnnxGenerator}, so with no edit the tokens
 * match it. {@link #generateWithoutCache} recomputes the whole sequence every step instead (slow,
 * quadratic in length): the no-cache reference for the cached generator.
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
      out.addAll(cached(requests.subList(from, Math.min(requests.size(), from + maxBatch)), edit));
    }
    return out;
  }

  /** The same without a KV cache: every step recomputes the whole sequence (with the edit, twice). */
  public List<String> generateWithoutCache(List<GenerationRequest> requests, Edit edit, int maxBatch) {
    List<String> out = new ArrayList<>(requests.size());
    for (int from = 0; from < requests.size(); from += maxBatch) {
      out.addAll(recomputed(requests.subList(from, Math.min(requests.size(), from + maxBatch)), edit));
    }
    return out;
  }

  private List<String> cached(List<GenerationRequest> requests, Edit edit) {
    int n = requests.size();
    int d = decoder.architecture().dModel();
    Rows rows = new Rows(requests);
    int width = 0;
    int longest = 0;
    for (int b = 0; b < n; b++) {
      width = Math.max(width, rows.seq[b].length);
      longest = Math.max(longest, requests.get(b).maxNewTokens());
    }
    OnnxGenerator.LeftPadded in = new OnnxGenerator.LeftPadded(rows.seq, width, pack.padTokenId());
    float[][] next = new float[n][];
    try (KvCache cache = decoder.newCache(n, width + Math.min(longest, KvCache.GROWTH))) {
      float[] steer = edit == Edit.NONE ? null : edits(in, rows.seq, width, edit);
      try (OnnxDecoder.Pass pass = decoder.forward(in.ids, in.pos, in.mask, steer, n, width, cache)) {
        for (int b = 0; b < n; b++) {
          next[b] = pass.logits(b, width - 1);
        }
      }
      while (true) {
        long[] ids = new long[n];
        long[] pos = new long[n];
        long[] mask = new long[n];
        boolean any = false;
        for (int b = 0; b < n; b++) {
          ids[b] = pack.padTokenId();
          if (!rows.live(b)) {
            continue;
          }
          rows.take(b, next[b]);
          if (rows.live(b)) {
            List<Integer> t = rows.tokens.get(b);
            ids[b] = t.get(t.size() - 1);
            pos[b] = rows.seq[b].length - 1; // the token just taken, fed where it stands
            mask[b] = 1;
            any = true;
          }
        }
        if (!any) {
          break;
        }
        float[] st = null;
        if (edit != Edit.NONE) {
          try (OnnxDecoder.Pass look = decoder.forward(ids, pos, mask, null, n, 1, cache, false)) {
            for (int b = 0; b < n; b++) {
              float[] h = mask[b] == 1 ? look.hook(b, 0) : null;
              float[] replaced = h == null ? null : edit.replace(h);
              if (replaced != null) {
                st = st == null ? new float[n * d] : st;
                for (int j = 0; j < d; j++) {
                  st[b * d + j] = replaced[j] - h[j];
                }
              }
            }
          }
        }
        try (OnnxDecoder.Pass pass = decoder.forward(ids, pos, mask, st, n, 1, cache)) {
          for (int b = 0; b < n; b++) {
            next[b] = mask[b] == 1 ? pass.logits(b, 0) : null;
          }
        }
      }
    }
    return rows.texts();
  }

  /** Per-row state: the sequence so far, the sampler, the generated tokens and the text once stopped. */
  private final class Rows {
    final List<GenerationRequest> requests;
    final int[][] seq;
    final SplittableRandom[] rng;
    final String[] text;
    final List<List<Integer>> tokens = new ArrayList<>();

    Rows(List<GenerationRequest> requests) {
      this.requests = requests;
      int n = requests.size();
      seq = new int[n][];
      rng = new SplittableRandom[n];
      text = new String[n];
      for (int b = 0; b < n; b++) {
        GenerationRequest r = requests.get(b);
        int[] prompt = tokenizer.encode(r.prompt(), pack.addBos());
        seq[b] = Arrays.copyOf(prompt, prompt.length + r.forcedTokens().length);
        System.arraycopy(r.forcedTokens(), 0, seq[b], prompt.length, r.forcedTokens().length);
        rng[b] = new SplittableRandom(r.seed());
        tokens.add(new ArrayList<>());
      }
    }

    boolean live(int b) {
      return text[b] == null && tokens.get(b).size() < requests.get(b).maxNewTokens();
    }

    /** Samples row b's next token from its logits; stops the row at EOS or a stop string. */
    void take(int b, float[] logits) {
      GenerationRequest r = requests.get(b);
      int token = Sampler.next(logits, r.temperature(), r.topP(), rng[b]);
      if (pack.eosTokenIds().contains(token)) {
        text[b] = decode(tokens.get(b));
        return;
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

    List<String> texts() {
      List<String> out = new ArrayList<>(seq.length);
      for (int b = 0; b < seq.length; b++) {
        out.add(text[b] != null ? text[b] : decode(tokens.get(b)));
      }
      return out;
    }
  }

  private List<String> recomputed(List<GenerationRequest> requests, Edit edit) {
    Rows rows = new Rows(requests);
    while (true) {
      List<Integer> live = new ArrayList<>();
      for (int b = 0; b < requests.size(); b++) {
        if (rows.live(b)) {
          live.add(b);
        }
      }
      if (live.isEmpty()) {
        break;
      }
      int[][] seqs = new int[live.size()][];
      int width = 0;
      for (int i = 0; i < seqs.length; i++) {
        seqs[i] = rows.seq[live.get(i)];
        width = Math.max(width, seqs[i].length);
      }
      OnnxGenerator.LeftPadded in = new OnnxGenerator.LeftPadded(seqs, width, pack.padTokenId());
      float[] steer = edit == Edit.NONE ? null : edits(in, seqs, width, edit); // NONE: one pass is enough
      try (OnnxDecoder.Pass pass = decoder.forward(in.ids, in.pos, in.mask, steer, seqs.length, width, null)) {
        for (int i = 0; i < seqs.length; i++) {
          rows.take(live.get(i), pass.logits(i, width - 1));
        }
      }
    }
    return rows.texts();
  }

  /** First pass: the model's own hook residuals; the steer that turns each into edit(h), or null if nothing changes. */
  private float[] edits(OnnxGenerator.LeftPadded in, int[][] rows, int width, Edit edit) {
    int d = decoder.architecture().dModel();
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
    return steer;
  }

  private String decode(List<Integer> t) {
    return tokenizer.decode(t.stream().mapToInt(Integer::intValue).toArray());
  }
}
