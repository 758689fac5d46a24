package dev.saerl.workers.inference;

import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.text.HfTokenizer;
import dev.saerl.workers.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched generation on ONNX Runtime with a KV cache. Prompts are left-padded; each row samples
 * with its own seeded generator, so a request's tokens do not depend on its batch-mates; steering
 * is added per position; the hook residual of every generated token is captured (each token's
 * residual comes from the pass that feeds it, so a row that hits the length limit gets one more
 * pass).
 */
public final class OnnxGenerator implements Generator {
  private final ModelPack pack;
  private final OnnxDecoder decoder;
  private final Tokenizer tokenizer;
  /** Each token's text on its own, for spotting stop strings without decoding the whole row every step. */
  private final String[] pieces;

  public OnnxGenerator(ModelPack pack, int threads) {
    this.pack = pack;
    this.decoder = new OnnxDecoder(pack, threads);
    this.tokenizer = new HfTokenizer(pack.file(ModelPack.TOKENIZER_FILE), pack.bosTokenId());
    this.pieces = new String[pack.architecture().vocabSize()];
  }

  private String piece(int token) {
    String p = pieces[token];
    if (p == null) {
      p = tokenizer.decode(new int[] {token});
      pieces[token] = p;
    }
    return p;
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
    long t0 = System.nanoTime();
    int batch = requests.size();
    int d = decoder.architecture().dModel();
    Row[] rows = new Row[batch];
    int width = 0;
    for (int b = 0; b < batch; b++) {
      rows[b] = new Row(requests.get(b), tokenizer.encode(requests.get(b).prompt(), pack.addBos()));
      width = Math.max(width, rows[b].prompt.length);
    }
    // prefill: left-padded prompts, padding masked out and placed at position 0
    long[] ids = new long[batch * width];
    long[] pos = new long[batch * width];
    long[] mask = new long[batch * width];
    float[] steer = null;
    for (int b = 0; b < batch; b++) {
      int pad = width - rows[b].prompt.length;
      for (int t = 0; t < width; t++) {
        int i = b * width + t;
        boolean real = t >= pad;
        ids[i] = real ? rows[b].prompt[t - pad] : pack.padTokenId();
        pos[i] = real ? t - pad : 0;
        mask[i] = real ? 1 : 0;
        float[] v = real ? rows[b].request.steering().at(t - pad) : null;
        if (v != null) {
          steer = steer == null ? new float[batch * width * d] : steer;
          System.arraycopy(v, 0, steer, i * d, d);
        }
      }
    }
    OnnxDecoder.Pass pass = decoder.forward(ids, pos, mask, steer, batch, width, null);
    long[] fullMask = mask;
    int seq = width;
    int generated = 0;
    try {
      while (true) {
        boolean anyActive = false;
        long[] nextIds = new long[batch];
        long[] nextPos = new long[batch];
        float[] nextSteer = null;
        for (int b = 0; b < batch; b++) {
          Row r = rows[b];
          if (r.finish != null) {
            nextIds[b] = pack.padTokenId();
            continue;
          }
          if (!r.tokens.isEmpty()) {
            r.hooks.add(pass.hook(b, seq - 1)); // residual of the token fed in this pass
          }
          if (r.tokens.size() >= r.request.maxNewTokens()) {
            r.finish = GenerationResult.FinishReason.LENGTH;
            nextIds[b] = pack.padTokenId();
            continue;
          }
          int token = Sampler.next(pass.logits(b, seq - 1), r.request.temperature(), r.request.topP(), r.rng);
          r.tokens.add(token);
          generated++;
          if (r.cutAtStop(tokenizer, piece(token), pack.stopStrings())) {
            r.finish = GenerationResult.FinishReason.STOP;
            nextIds[b] = pack.padTokenId();
            continue;
          }
          anyActive = true;
          nextIds[b] = token;
          int position = r.prompt.length + r.tokens.size() - 1;
          nextPos[b] = position;
          float[] v = r.request.steering().at(position);
          if (v != null) {
            nextSteer = nextSteer == null ? new float[batch * d] : nextSteer;
            System.arraycopy(v, 0, nextSteer, b * d, d);
          }
        }
        if (!anyActive) {
          break;
        }
        // the mask is row-major [B, L]: one more column, 1 for rows still generating
        int len = fullMask.length / batch;
        long[] grown = new long[fullMask.length + batch];
        for (int b = 0; b < batch; b++) {
          System.arraycopy(fullMask, b * len, grown, b * (len + 1), len);
          grown[b * (len + 1) + len] = rows[b].finish == null ? 1 : 0;
        }
        fullMask = grown;
        OnnxDecoder.Pass next = decoder.forward(nextIds, nextPos, fullMask, nextSteer, batch, 1, pass);
        pass.close();
        pass = next;
        seq = 1;
      }
    } finally {
      pass.close();
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
