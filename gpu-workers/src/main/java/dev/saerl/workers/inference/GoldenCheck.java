package dev.saerl.workers.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelPackException;
import dev.saerl.workers.pack.Safetensors;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a pack's golden.json (the foundry's PyTorch outputs) on this runtime and reports each
 * difference: prefill logits and hook residuals, cached decode steps fed the golden tokens, and the
 * SAE codes of the prefill residuals, each plain and steered. Reads both layouts: foundry.export's
 * ({@code cases}, one decode step each) and foundry.import_hf's ({@code plain}/{@code steered} at
 * the top, several greedy decode steps).
 */
public final class GoldenCheck {
  /** Relative tolerance: absolute 1e-4 below 1, scaled by the reference's largest magnitude above. */
  public static final double TOLERANCE = 1e-4;

  /** One compared output: its largest absolute difference and the reference's largest magnitude. */
  public record Difference(String what, double maxAbs, double scale) {
    public boolean ok() {
      return maxAbs <= TOLERANCE * Math.max(1, scale);
    }
  }

  /** Differences, and messages for what must match exactly (greedy tokens, SAE feature ids). */
  public record Report(List<Difference> differences, List<String> mismatches) {
    public boolean ok() {
      return mismatches.isEmpty() && differences.stream().allMatch(Difference::ok);
    }

    public Difference worst() {
      return differences.stream().max((a, b) -> Double.compare(a.maxAbs / Math.max(1, a.scale), b.maxAbs / Math.max(1, b.scale)))
          .orElseThrow();
    }
  }

  private GoldenCheck() {}

  public static Report run(ModelPack pack, OnnxDecoder decoder, List<SparseAutoencoder> saes) {
    JsonNode golden;
    try {
      golden = new ObjectMapper().readTree(pack.file("golden.json").toFile());
    } catch (IOException e) {
      throw new ModelPackException(pack.file("golden.json") + ": " + e.getMessage(), e);
    }
    int d = pack.architecture().dModel();
    float[] row = new float[d]; // the golden steering vector: the feature's decoder row as stored, times the coefficient
    float[] wDec = Safetensors.read(pack.file(pack.sae().weightsFile()), List.of("W_dec")).get("W_dec").data();
    System.arraycopy(wDec, golden.path("steer_feature").asInt() * d, row, 0, d);
    float coef = (float) golden.path("steer_coefficient").asDouble();
    for (int i = 0; i < d; i++) {
      row[i] *= coef;
    }
    List<Difference> diffs = new ArrayList<>();
    List<String> mismatches = new ArrayList<>();
    List<JsonNode> cases = new ArrayList<>();
    golden.path("cases").forEach(cases::add);
    if (cases.isEmpty()) {
      cases.add(golden);
    }
    for (int c = 0; c < cases.size(); c++) {
      for (String mode : List.of("plain", "steered")) {
        String where = (cases.size() > 1 ? "case " + c + " " : "") + mode;
        checkCase(decoder, saes, ints(cases.get(c).path("input_ids")), cases.get(c).path(mode), mode.equals("plain") ? null : row,
            where, diffs, mismatches);
      }
    }
    return new Report(diffs, mismatches);
  }

  private static void checkCase(OnnxDecoder decoder, List<SparseAutoencoder> saes, int[] ids, JsonNode g, float[] row, String where,
                                List<Difference> diffs, List<String> mismatches) {
    int t = ids.length;
    int d = decoder.architecture().dModel();
    int v = decoder.architecture().vocabSize();
    long[] lids = new long[t];
    long[] pos = new long[t];
    long[] mask = new long[t];
    float[] steer = row == null ? null : new float[t * d];
    for (int i = 0; i < t; i++) {
      lids[i] = ids[i];
      pos[i] = i;
      mask[i] = 1;
      if (row != null) {
        System.arraycopy(row, 0, steer, i * d, d);
      }
    }
    // foundry.export keeps one decode step (decode_token), foundry.import_hf several (greedy_tokens)
    boolean steps = g.has("greedy_tokens") && g.path("decode_logits").path(0).isArray();
    int[] fed = steps ? ints(g.path("greedy_tokens")) : new int[] {g.path("decode_token").asInt()};
    try (KvCache cache = decoder.newCache(1, t + fed.length)) {
      float[][] hooks = new float[t][];
      try (OnnxDecoder.Pass pass = decoder.forward(lids, pos, mask, steer, 1, t, cache)) {
        float[] logits = new float[t * v];
        float[] hook = new float[t * d];
        for (int i = 0; i < t; i++) {
          System.arraycopy(pass.logits(0, i), 0, logits, i * v, v);
          hooks[i] = pass.hook(0, i);
          System.arraycopy(hooks[i], 0, hook, i * d, d);
        }
        diffs.add(compare(where + " prefill logits", floats(g.path("logits")), logits));
        diffs.add(compare(where + " prefill hook_resid", floats(g.path("hook_resid")), hook));
        tokenMatch(where + " greedy token 0", fed[0], pass.logits(0, t - 1), mismatches);
      }
      for (int s = 0; s < fed.length; s++) {
        try (OnnxDecoder.Pass step = decoder.forward(new long[] {fed[s]}, new long[] {t + s}, new long[] {1}, row, 1, 1, cache)) {
          JsonNode want = steps ? g.path("decode_logits").get(s) : g.path("decode_logits");
          diffs.add(compare(where + " cached decode step " + s + " logits", floats(want), step.logits(0, 0)));
          if (g.has("decode_hook_resid")) {
            diffs.add(compare(where + " cached decode step " + s + " hook_resid", floats(g.path("decode_hook_resid")), step.hook(0, 0)));
          }
          if (s + 1 < fed.length) {
            tokenMatch(where + " greedy token " + (s + 1), fed[s + 1], step.logits(0, 0), mismatches);
          }
        }
      }
      for (SparseAutoencoder sae : saes) {
        List<SparseCodes> codes = sae.encode(hooks);
        String name = where + " SAE codes (" + sae.getClass().getSimpleName() + ")";
        float[] want = new float[0];
        float[] got = new float[0];
        for (int i = 0; i < t; i++) {
          int[] wantIds = ints(g.path("sae_ids").get(i));
          if (!Arrays.equals(wantIds, codes.get(i).ids())) {
            mismatches.add(name + " at token " + i + ": features " + Arrays.toString(codes.get(i).ids()) + ", golden " + Arrays.toString(wantIds));
            continue;
          }
          want = concat(want, floats(g.path("sae_values").get(i)));
          got = concat(got, codes.get(i).values());
        }
        diffs.add(compare(name, want, got));
      }
    }
  }

  private static void tokenMatch(String what, int want, float[] logits, List<String> mismatches) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      best = logits[i] > logits[best] ? i : best;
    }
    if (best != want) {
      mismatches.add(what + ": argmax " + best + ", golden " + want);
    }
  }

  static Difference compare(String what, float[] expected, float[] actual) {
    if (expected.length != actual.length) {
      return new Difference(what + " (length " + actual.length + ", golden " + expected.length + ")", Double.POSITIVE_INFINITY, 0);
    }
    double worst = 0;
    double scale = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    return new Difference(what, worst, scale);
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }

  private static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }
}
