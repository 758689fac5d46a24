package dev.saerl.workers.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import dev.saerl.workers.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Three hot paths of the worker, each against the path it replaced, timed alternately in one run
 * and printed as one JSON object per line with the ratio old / new (above 1: the new path is faster):
 * the decoder's pooled input buffers vs buffers allocated every pass (generation at the worker's
 * batch shape and greedy batches of 1 and 16); {@link Tokenizer#tokenEnds} vs decoding every prefix;
 * one SAE run per batch vs one per sample. Every pair is also checked to give the same output.
 * Args: PACK_DIR DATASET_JSONL (a "question" per line) REPEATS
 */
public final class HotPathBenchmark {
  static final int WARM_UP = 3;

  private HotPathBenchmark() {}

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    ObjectMapper json = new ObjectMapper();
    List<String> questions = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      if (!line.isBlank()) {
        questions.add(json.readTree(line).path("question").asText());
      }
    }
    int repeats = Integer.parseInt(args[2]);
    List<GenerationResult> workerBatch;
    try (OnnxGenerator pooled = new OnnxGenerator(pack, 1, true); OnnxGenerator fresh = new OnnxGenerator(pack, 1, false)) {
      // the worker's shape: 8 queries x 4 samples, T = 0.7, up to 120 new tokens
      workerBatch = generation("worker 8x4 T=0.7", pooled, fresh, sampled(pack, questions, 8, 4, 120), repeats);
      generation("greedy batch 1", pooled, fresh, greedy(pack, questions, 1, 80), repeats);
      generation("greedy batch 16", pooled, fresh, greedy(pack, questions, 16, 80), repeats);
      Tokenizer tok = pooled.tokenizer();
      List<int[]> completions = workerBatch.stream().map(GenerationResult::tokens).toList();
      compare("tokenEnds, the worker batch's " + completions.size() + " completions", repeats * 20,
          () -> completions.stream().map(tok::prefixTokenEnds).toList(),
          () -> completions.stream().map(tok::tokenEnds).toList(), HotPathBenchmark::sameArrays);
      int[] longText = tok.encode(String.join(" ", questions.subList(0, Math.min(12, questions.size()))), false);
      compare("tokenEnds, one text of " + longText.length + " tokens", repeats * 4,
          () -> List.of(tok.prefixTokenEnds(longText)), () -> List.of(tok.tokenEnds(longText)), HotPathBenchmark::sameArrays);
    }
    List<float[][]> residuals = workerBatch.stream().map(GenerationResult::hookResiduals).toList();
    try (SparseAutoencoder sae = new OnnxSparseAutoencoder(pack, 1)) {
      int rows = residuals.stream().mapToInt(r -> r.length).sum();
      compare("SAE encode, " + residuals.size() + " samples (" + rows + " rows)", repeats * 20,
          () -> residuals.stream().map(sae::encode).toList(), () -> sae.encodeEach(residuals), HotPathBenchmark::sameCodes);
    }
  }

  private static List<GenerationResult> generation(String what, OnnxGenerator pooled, OnnxGenerator fresh,
                                                   List<GenerationRequest> batch, int repeats) {
    List<List<GenerationResult>> last = new ArrayList<>();
    compare("generation, " + what, repeats, () -> fresh.generate(batch), () -> {
      List<GenerationResult> r = pooled.generate(batch);
      last.add(r);
      return r;
    }, (a, b) -> {
      for (int i = 0; i < a.size(); i++) {
        if (!Arrays.equals(a.get(i).tokens(), b.get(i).tokens())) {
          return false;
        }
      }
      return true;
    });
    return last.get(last.size() - 1);
  }

  interface Same<T> {
    boolean test(List<T> a, List<T> b);
  }

  /** Times old and new alternately (ABBA) after warm-up, checks they agree, prints medians and old/new. */
  private static <T> void compare(String what, int repeats, Supplier<List<T>> old, Supplier<List<T>> now, Same<T> same) {
    for (int w = 0; w < WARM_UP; w++) {
      old.get();
      now.get();
    }
    if (!same.test(old.get(), now.get())) {
      throw new IllegalStateException(what + ": the new path's output differs from the old one's");
    }
    long[] oldNanos = new long[repeats];
    long[] newNanos = new long[repeats];
    for (int r = 0; r < repeats; r++) {
      boolean oldFirst = r % 2 == 0;
      long a = oldFirst ? time(old) : 0;
      newNanos[r] = time(now);
      oldNanos[r] = oldFirst ? a : time(old);
    }
    double o = median(oldNanos) / 1e6;
    double n = median(newNanos) / 1e6;
    System.out.printf("{\"what\": \"%s\", \"old_ms\": %.3f, \"new_ms\": %.3f, \"old_over_new\": %.2f, \"repeats\": %d}%n",
        what, o, n, o / n, repeats);
  }

  private static <T> long time(Supplier<List<T>> f) {
    long t0 = System.nanoTime();
    f.get();
    return System.nanoTime() - t0;
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }

  private static boolean sameArrays(List<int[]> a, List<int[]> b) {
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return a.size() == b.size();
  }

  private static boolean sameCodes(List<List<SparseCodes>> a, List<List<SparseCodes>> b) {
    for (int s = 0; s < a.size(); s++) {
      for (int t = 0; t < a.get(s).size(); t++) {
        SparseCodes x = a.get(s).get(t);
        SparseCodes y = b.get(s).get(t);
        if (!Arrays.equals(x.ids(), y.ids()) || !Arrays.equals(x.values(), y.values())) {
          return false;
        }
      }
    }
    return a.size() == b.size();
  }

  static List<GenerationRequest> sampled(ModelPack pack, List<String> questions, int queries, int samples, int maxNew) {
    List<GenerationRequest> out = new ArrayList<>();
    for (int q = 0; q < queries; q++) {
      for (int i = 0; i < samples; i++) {
        out.add(new GenerationRequest(pack.prompt(questions.get(q % questions.size())), maxNew, 0.7f, 1f, 1000L * q + i,
            Steering.NONE));
      }
    }
    return out;
  }

  static List<GenerationRequest> greedy(ModelPack pack, List<String> questions, int batch, int maxNew) {
    List<GenerationRequest> out = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      out.add(GenerationRequest.greedy(pack.prompt(questions.get(i % questions.size())), maxNew));
    }
    return out;
  }
}
