package dev.saerl.workers.inference;

import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.text.HfTokenizer;
import dev.saerl.workers.text.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batched generation on ONNX Runtime with a KV cache. Prompts are left-padded; each row samples
 * with its own seeded generator, so a request's tokens do not depend on its batch-mates; steering
 * is added per position (on top of the pack's adapter, if it has one); the hook residual of every generated token is captured (each token's
 * residual comes from the pass that feeds it, so a row that hits the length limit gets one more
 * pass).
 */
public final class OnnxGenerator implements Generator {
  private final ModelPack pack;
  private final OnnxDecoder decoder;
  private final Tokenizer tokenizer;
  /** Each token's text on its own, for spotting stop strings without decoding the whole row every step. */
  private final String[] pieces;
  /** The pack's steering adapter vector, added at every position; null without one. */
  private final float[] adapter;

  public OnnxGenerator(ModelPack pack, int threads) {
    this(pack, threads, true);
  }

  /** With {@code reuseInputs} false, the decoder allocates its input buffers every pass (the reference; see {@link OnnxDecoder}). */
  public OnnxGenerator(ModelPack pack, int threads, boolean reuseInputs) {
    this.pack = pack;
    this.decoder = new OnnxDecoder(pack, threads, reuseInputs);
    this.tokenizer = new HfTokenizer(pack.file(ModelPack.TOKENIZER_FILE), pack.bosTokenId());
    this.pieces = new String[pack.architecture().vocabSize()];
    this.adapter = pack.adapter() == null ? null : pack.adapter().vector();
  }

  private String piece(int token) {
    String p = pieces[token];
    if (p == null) {
      p = tokenizer.decode(new int[] {token});
      pieces[token] = p;
    }
    return p;
  }

  /** What is added at a position: the pack's adapter (at every position) plus the request's steering. */
  private float[] steerAt(GenerationRequest request, int position) {
    float[] v = request.steering().at(position);
    if (adapter == null) {
      return v;
    }
    if (v == null) {
      return adapter;
    }
    float[] sum = v.clone();
    for (int j = 0; j < sum.length; j++) {
      sum[j] += adapter[j];
    }
    return sum;
  }

  /**
   * Teacher-forced mean log-probability per completion token of each (prompt, completion), with
   * the pack's adapter plus {@code extra} (null for none) added at every position: the
   * length-normalised score that preference margins compare. Rows run in batches of {@code maxBatch}.
   */
  public double[] meanLogProbs(List<String> prompts, List<String> completions, float[] extra, int maxBatch) {
    double[][] tokens = tokenLogProbs(prompts, completions, extra, maxBatch);
    double[] out = new double[tokens.length];
    for (int i = 0; i < out.length; i++) {
      double sum = 0;
      for (double x : tokens[i]) {
        sum += x;
      }
      out[i] = tokens[i].length == 0 ? 0 : sum / tokens[i].length;
    }
    return out;
  }

  /**
   * Teacher-forced log-probability of each completion token of each (prompt, completion), in
   * order, with the pack's adapter plus {@code extra} (null for none) added at every position.
   * Rows run in batches of {@code maxBatch}.
   */
  public double[][] tokenLogProbs(List<String> prompts, List<String> completions, float[] extra, int maxBatch) {
    double[][] out = new double[prompts.size()][];
    int d = decoder.architecture().dModel();
    float[] add = adapter;
    if (extra != null) {
      add = adapter == null ? extra.clone() : adapter.clone();
      if (adapter != null) {
        for (int j = 0; j < d; j++) {
          add[j] += extra[j];
        }
      }
    }
    for (int from = 0; from < prompts.size(); from += maxBatch) {
      int batch = Math.min(maxBatch, prompts.size() - from);
      int[][] prompt = new int[batch][];
      int[][] full = new int[batch][];
      int width = 0;
      for (int b = 0; b < batch; b++) {
        prompt[b] = tokenizer.encode(prompts.get(from + b), pack.addBos());
        int[] comp = tokenizer.encode(completions.get(from + b), false);
        full[b] = java.util.Arrays.copyOf(prompt[b], prompt[b].length + comp.length);
        System.arraycopy(comp, 0, full[b], prompt[b].length, comp.length);
        width = Math.max(width, full[b].length);
      }
      LeftPadded in = new LeftPadded(full, width, pack.padTokenId());
      float[] steer = add == null ? null : new float[batch * width * d];
      for (int i = 0; steer != null && i < in.mask.length; i++) {
        if (in.mask[i] == 1) {
          System.arraycopy(add, 0, steer, i * d, d);
        }
      }
      try (OnnxDecoder.Pass pass = decoder.forward(in.ids, in.pos, in.mask, steer, batch, width, null)) {
        for (int b = 0; b < batch; b++) {
          int pad = width - full[b].length;
          double[] row = new double[full[b].length - prompt[b].length];
          for (int t = prompt[b].length; t < full[b].length; t++) {
            float[] logits = pass.logits(b, pad + t - 1); // position t-1 predicts token t
            row[t - prompt[b].length] = logSoftmax(logits, full[b][t]);
          }
          out[from + b] = row;
        }
      }
    }
    return out;
  }

  private static double logSoftmax(float[] logits, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) {
      max = Math.max(max, x);
    }
    double z = 0;
    for (float x : logits) {
      z += Math.exp(x - max);
    }
    return logits[token] - max - Math.log(z);
  }

  /**
   * The model's hook residuals at tokens [0, count) of a known continuation, by one teacher-forced
   * pass over prompt + tokens[0, count), with the pack's adapter added as generation adds it. The
   * hook is read before anything is added at it, so these are the model's own states.
   */
  public float[][] hookResiduals(int[] prompt, int[] tokens, int count) {
    int len = prompt.length + count;
    long[] ids = new long[len];
    long[] pos = new long[len];
    long[] mask = new long[len];
    for (int t = 0; t < len; t++) {
      ids[t] = t < prompt.length ? prompt[t] : tokens[t - prompt.length];
      pos[t] = t;
      mask[t] = 1;
    }
    float[] steer = adapter == null ? null : new float[len * adapter.length];
    for (int t = 0; steer != null && t < len; t++) {
      System.arraycopy(adapter, 0, steer, t * adapter.length, adapter.length);
    }
    float[][] out = new float[count][];
    try (OnnxDecoder.Pass pass = decoder.forward(ids, pos, mask, steer, 1, len, null)) {
      for (int t = 0; t < count; t++) {
        out[t] = pass.hook(0, prompt.length + t);
      }
    }
    return out;
  }

  /** The pack's adapter vector (a copy), or null. */
  public float[] adapterVector() {
    return adapter == null ? null : adapter.clone();
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  public OnnxDecoder decoder() {
    return decoder;
  }

  public ModelPack pack() {
    return pack;
  }

  @Override
  public List<GenerationResult> generate(List<GenerationRequest> requests) {
    return generate(requests, TokenSink.NONE);
  }

  /** As {@link #generate(List)}, showing each kept token to {@code sink}, which may end its row. */
  public List<GenerationResult> generate(List<GenerationRequest> requests, TokenSink sink) {
    long t0 = System.nanoTime();
    int batch = requests.size();
    int d = decoder.architecture().dModel();
    Row[] rows = new Row[batch];
    int width = 0;
    for (int b = 0; b < batch; b++) {
      GenerationRequest request = requests.get(b);
      int[] prompt = tokenizer.encode(request.prompt(), pack.addBos());
      if (request.forcedTokens().length > 0) {
        int[] joined = java.util.Arrays.copyOf(prompt, prompt.length + request.forcedTokens().length);
        System.arraycopy(request.forcedTokens(), 0, joined, prompt.length, request.forcedTokens().length);
        prompt = joined;
      }
      rows[b] = new Row(request, prompt);
      width = Math.max(width, rows[b].prompt.length);
    }
    int longest = 0;
    for (Row r : rows) {
      longest = Math.max(longest, r.request.maxNewTokens());
    }
    int[] live = new int[batch]; // the rows of the current (possibly shrunk) batch, by request index
    for (int b = 0; b < batch; b++) {
      live[b] = b;
    }
    int generated = 0;
    // every pass attends to the cache's whole capacity, and most rows stop well before maxNewTokens:
    // start with a little room and let the cache grow (a sampled batch of 4 x 8 queries: +12-40% tokens/s)
    try (KvCache cache = decoder.newCache(batch, width + Math.min(longest, KvCache.GROWTH))) {
      float[][] first = prefill(rows, width, cache);
      OnnxDecoder.Pass pass = null; // null: the next tokens come from the prefill's logits
      while (true) {
        try {
          // read this pass: the fed tokens' residuals, then the next token of every unfinished row
          for (int c = 0; c < live.length; c++) {
            Row r = rows[live[c]];
            if (r.finish != null) {
              continue;
            }
            if (pass != null) {
              r.hooks.add(pass.hook(c, 0)); // residual of the token fed in this pass
            }
            if (r.tokens.size() >= r.request.maxNewTokens()) {
              r.finish = GenerationResult.FinishReason.LENGTH;
              continue;
            }
            float[] logits = pass == null ? first[live[c]] : pass.logits(c, 0);
            if (r.tokens.isEmpty() && r.request.forbiddenFirst() >= 0) {
              logits = logits.clone();
              logits[r.request.forbiddenFirst()] = Float.NEGATIVE_INFINITY;
            }
            int token = Sampler.next(logits, r.request.temperature(), r.request.topP(), r.rng);
            if (pack.eosTokenIds().contains(token)) { // end of sequence: stop, without the token
              r.finish = GenerationResult.FinishReason.STOP;
              r.text = tokenizer.decode(r.tokens.stream().mapToInt(Integer::intValue).toArray());
              continue;
            }
            r.tokens.add(token);
            generated++;
            if (r.cutAtStop(tokenizer, piece(token), pack.stopStrings())) {
              r.finish = GenerationResult.FinishReason.STOP;
            } else if (!sink.next(live[c], token)) {
              r.finish = GenerationResult.FinishReason.STOP;
              r.text = tokenizer.decode(r.tokens.stream().mapToInt(Integer::intValue).toArray());
            }
          }
        } finally {
          if (pass != null) {
            pass.close();
          }
        }
        int active = 0;
        for (int b : live) {
          active += rows[b].finish == null ? 1 : 0;
        }
        if (active == 0) {
          break;
        }
        if (active <= live.length * 3 / 4) {
          // drop finished rows: every later pass reads a smaller cache
          int[] keep = new int[active];
          int[] next = new int[active];
          for (int c = 0, k = 0; c < live.length; c++) {
            if (rows[live[c]].finish == null) {
              keep[k] = c;
              next[k++] = live[c];
            }
          }
          cache.keep(keep);
          live = next;
        }
        int n = live.length;
        long[] nextIds = new long[n];
        long[] nextPos = new long[n];
        long[] nextMask = new long[n]; // 1 for rows still generating
        float[] nextSteer = null;
        for (int c = 0; c < n; c++) {
          Row r = rows[live[c]];
          if (r.finish != null) {
            nextIds[c] = pack.padTokenId();
            continue;
          }
          nextMask[c] = 1;
          nextIds[c] = r.tokens.get(r.tokens.size() - 1);
          int position = r.prompt.length + r.tokens.size() - 1;
          nextPos[c] = position;
          float[] v = steerAt(r.request, position);
          if (v != null) {
            nextSteer = nextSteer == null ? new float[n * d] : nextSteer;
            System.arraycopy(v, 0, nextSteer, c * d, d);
          }
        }
        pass = decoder.forward(nextIds, nextPos, nextMask, nextSteer, n, 1, cache);
      }
    }
    long nanos = System.nanoTime() - t0;
    List<GenerationResult> out = new ArrayList<>(batch);
    for (Row r : rows) {
      int[] toks = r.tokens.stream().mapToInt(Integer::intValue).toArray();
      String text = r.finish == GenerationResult.FinishReason.STOP ? r.text : tokenizer.decode(toks);
      out.add(new GenerationResult(r.prompt, toks, text, r.finish, r.hooks.toArray(new float[0][]), nanos, generated));
    }
    return out;
  }

  /**
   * Fills the cache's first {@code width} slots with every row's prompt, left-padded, and returns
   * each row's next-token logits. Rows with the same prompt and prompt steering (a query's samples,
   * rollouts from one prefix) share one prefill; the distinct prompts run in groups of similar
   * length, so little of a pass is padding (a group grows while its longest prompt is within
   * {@link #GROUP_SPREAD} of its shortest).
   */
  private float[][] prefill(Row[] rows, int width, KvCache cache) {
    int d = decoder.architecture().dModel();
    Map<PromptKey, Integer> index = new HashMap<>();
    List<Integer> distinct = new ArrayList<>(); // the first row of each distinct prompt
    int[] distinctOf = new int[rows.length];
    float[][] steers = new float[rows.length][];
    for (int b = 0; b < rows.length; b++) {
      steers[b] = promptSteering(rows[b], d);
      int row = b;
      distinctOf[b] = index.computeIfAbsent(new PromptKey(rows[b].prompt, steers[b]), k -> {
        distinct.add(row);
        return distinct.size() - 1;
      });
    }
    Integer[] order = new Integer[distinct.size()];
    for (int u = 0; u < order.length; u++) {
      order[u] = u;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(u -> rows[distinct.get(u)].prompt.length));
    List<int[]> groups = new ArrayList<>(); // [from, to) in order
    for (int from = 0, to; from < order.length; from = to) {
      int shortest = rows[distinct.get(order[from])].prompt.length;
      to = from + 1;
      while (to < order.length && rows[distinct.get(order[to])].prompt.length <= shortest * GROUP_SPREAD) {
        to++;
      }
      groups.add(new int[] {from, to});
    }
    // one group of distinct prompts: prefill straight into the batch's cache, in batch order
    boolean direct = groups.size() == 1 && distinct.size() == rows.length;
    if (direct) {
      for (int u = 0; u < order.length; u++) {
        order[u] = u;
      }
    }
    float[][] logits = new float[order.length][];
    for (int[] group : groups) {
      int from = group[0];
      int n = group[1] - from;
      int[][] prompts = new int[n][];
      int w = 0;
      for (int i = 0; i < n; i++) {
        prompts[i] = rows[distinct.get(order[from + i])].prompt;
        w = Math.max(w, prompts[i].length);
      }
      LeftPadded in = new LeftPadded(prompts, w, pack.padTokenId());
      float[] steer = null;
      for (int i = 0; i < n; i++) {
        float[] rowSteer = steers[distinct.get(order[from + i])];
        if (rowSteer != null) {
          steer = steer == null ? new float[n * w * d] : steer;
          System.arraycopy(rowSteer, 0, steer, (i * w + w - prompts[i].length) * d, rowSteer.length);
        }
      }
      KvCache part = direct ? cache : decoder.newCache(n, w);
      try (OnnxDecoder.Pass pass = decoder.forward(in.ids, in.pos, in.mask, steer, n, w, part)) {
        for (int i = 0; i < n; i++) {
          int u = order[from + i];
          logits[u] = pass.logits(i, w - 1);
          int len = rows[distinct.get(u)].prompt.length;
          for (int b = 0; b < rows.length && !direct; b++) {
            if (distinctOf[b] == u) {
              cache.copyRow(part, i, w - len, b, width - len, len);
            }
          }
        }
      } finally {
        if (!direct) {
          part.close();
        }
      }
    }
    if (!direct) {
      cache.filled(width);
    }
    float[][] out = new float[rows.length][];
    for (int b = 0; b < rows.length; b++) {
      out[b] = logits[distinctOf[b]].clone(); // rows sample independently
    }
    return out;
  }

  /** How much longer than a prefill group's shortest prompt its longest may be. */
  static final double GROUP_SPREAD = 1.15;

  /** What is added at each prompt position [len * d], or null when nothing is. */
  private float[] promptSteering(Row row, int d) {
    float[] out = null;
    for (int t = 0; t < row.prompt.length; t++) {
      float[] v = steerAt(row.request, t);
      if (v != null) {
        out = out == null ? new float[row.prompt.length * d] : out;
        System.arraycopy(v, 0, out, t * d, d);
      }
    }
    return out;
  }

  /** Sequences left-padded to one width [n * width]: ids, positions (padding at 0) and the real-token mask. */
  static final class LeftPadded {
    final long[] ids;
    final long[] pos;
    final long[] mask;

    LeftPadded(int[][] seqs, int width, int padToken) {
      ids = new long[seqs.length * width];
      pos = new long[ids.length];
      mask = new long[ids.length];
      for (int b = 0; b < seqs.length; b++) {
        int pad = width - seqs[b].length;
        for (int t = 0; t < width; t++) {
          boolean real = t >= pad;
          ids[b * width + t] = real ? seqs[b][t - pad] : padToken;
          pos[b * width + t] = real ? t - pad : 0;
          mask[b * width + t] = real ? 1 : 0;
        }
      }
    }
  }

  /** A prompt's tokens and steering, compared by content. */
  private record PromptKey(int[] tokens, float[] steer) {
    @Override
    public boolean equals(Object o) {
      return o instanceof PromptKey k && java.util.Arrays.equals(tokens, k.tokens) && java.util.Arrays.equals(steer, k.steer);
    }

    @Override
    public int hashCode() {
      return 31 * java.util.Arrays.hashCode(tokens) + java.util.Arrays.hashCode(steer);
    }
  }

  @Override
  public void close() {
    tokenizer.close();
    decoder.close();
  }

  /** Per-request mutable state of one batch. */
  private static final class Row {
    final GenerationRequest request;
    final int[] prompt;
    final SplittableRandom rng;
    final List<Integer> tokens = new ArrayList<>();
    final List<float[]> hooks = new ArrayList<>();
    String text;
    GenerationResult.FinishReason finish;

    Row(GenerationRequest request, int[] prompt) {
      this.request = request;
      this.prompt = prompt;
      this.rng = new SplittableRandom(request.seed());
    }

    /** The pieces so far, joined: a cheap stand-in for the decoded text, used to spot stop strings. */
    private final StringBuilder pieces = new StringBuilder();

    /**
     * Appends the new token's piece; when a stop string appears, decodes the row exactly, drops the
     * tokens that made the stop string and returns true.
     */
    boolean cutAtStop(Tokenizer tokenizer, String piece, List<String> stops) {
      pieces.append(piece);
      int from = Math.max(0, pieces.length() - piece.length() - longest(stops));
      boolean hit = false;
      for (String s : stops) {
        hit |= pieces.indexOf(s, from) >= 0;
      }
      if (!hit) {
        return false;
      }
      String full = tokenizer.decode(tokens.stream().mapToInt(Integer::intValue).toArray());
      int cut = -1;
      for (String s : stops) {
        int i = full.indexOf(s);
        if (i >= 0 && (cut < 0 || i < cut)) {
          cut = i;
        }
      }
      if (cut < 0) {
        return false; // the pieces suggested a stop that exact decoding does not have
      }
      text = full.substring(0, cut);
      while (!tokens.isEmpty() && tokenizer.decode(tokens.stream().mapToInt(Integer::intValue).toArray()).length() > cut) {
        tokens.remove(tokens.size() - 1);
      }
      while (hooks.size() > tokens.size()) {
        hooks.remove(hooks.size() - 1);
      }
      return true;
    }

    private static int longest(List<String> stops) {
      return stops.stream().mapToInt(String::length).max().orElse(0);
    }
  }
}
