package dev.saerl.finetune;

import dev.saerl.core.stats.Wilson;
import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.workers.correct.Rollouts;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.core.ids.Sha256;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Accuracy of a model (a pack, with its adapter) on a fixed list of queries: greedy decoding, so
 * every version is scored on the same queries the same way; optionally an extra steering vector
 * at every position (for adapters under trial).
 */
public final class Evaluator {
  private final int maxNewTokens;
  private final int batch;

  public Evaluator(int maxNewTokens, int batch) {
    this.maxNewTokens = maxNewTokens;
    this.batch = batch;
  }

  /** Per query, whether the greedy answer verifies. {@code progress} gets the number done so far. */
  public boolean[] correct(OnnxGenerator generator, List<Query> queries, float[] extra, IntConsumer progress) {
    Steering steering = extra == null ? Steering.NONE : Steering.everywhere(extra);
    return sampled(generator, queries, 1, 0f, 0, promptTokens -> steering, progress); // temperature 0: greedy, no draw
  }

  /** A question with its reference answer, as {@link #draws} reads it. */
  public record Item(String question, String reference) {}

  /** One sample: its text, whether it verifies, and how many tokens were generated for it. */
  public record Draw(String text, boolean correct, int generatedTokens) {}

  /**
   * Per query and sample, whether a sample at {@code temperature} verifies: query q's {@code k}
   * samples at {@code k*q .. k*q+k-1}, sample i of query q on the stream {@code mix(seed, q, i)}
   * whatever the steering, so two calls with one seed are paired draw for draw. {@code steering}
   * gets each prompt's token count (with BOS): the position before the first answer token is one less.
   */
  public boolean[] sampled(OnnxGenerator generator, List<Query> queries, int k, float temperature, long seed,
                           IntFunction<Steering> steering, IntConsumer progress) {
    List<Item> items = queries.stream().map(q -> new Item(q.getQuestion(), q.getReferenceAnswer())).toList();
    List<Draw> draws = draws(generator, items, 0, k, temperature, seed, steering, progress);
    boolean[] ok = new boolean[draws.size()];
    for (int i = 0; i < ok.length; i++) {
      ok[i] = draws.get(i).correct();
    }
    return ok;
  }

  /**
   * The samples behind {@link #sampled}, with their texts: item q's samples {@code first ..
   * first+k-1} (stream {@code mix(seed, q, i)}), listed item by item, so a later call with {@code
   * first} = k draws the next k of the same streams.
   */
  public List<Draw> draws(OnnxGenerator generator, List<Item> items, int first, int k, float temperature, long seed,
                          IntFunction<Steering> steering, IntConsumer progress) {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int q = 0; q < items.size(); q++) {
      String prompt = generator.pack().prompt(items.get(q).question());
      Steering st = steering.apply(generator.tokenizer().encode(prompt, generator.pack().addBos()).length);
      for (int i = first; i < first + k; i++) {
        requests.add(new GenerationRequest(prompt, maxNewTokens, temperature, 1f, Rollouts.mix(seed, q, i), st));
      }
    }
    List<Draw> out = new ArrayList<>(requests.size());
    for (int from = 0; from < requests.size(); from += batch) {
      List<GenerationResult> results = generator.generate(requests.subList(from, Math.min(requests.size(), from + batch)));
      for (int j = 0; j < results.size(); j++) {
        GenerationResult r = results.get(j);
        String reference = items.get((from + j) / k).reference();
        out.add(new Draw(r.text(), Verifier.verify(reference, r.text()).correct(), r.tokens().length));
      }
      progress.accept(Math.min(items.size(), (from + results.size()) / k));
    }
    return out;
  }

  public static long count(boolean[] ok) {
    long n = 0;
    for (boolean b : ok) {
      n += b ? 1 : 0;
    }
    return n;
  }

  /** The accuracy of {@code arm} (a version, a baseline) as an Evaluation with its Wilson interval. */
  public static Evaluation accuracy(String dataset, String modelVersion, String planVersion, String arm, int round,
                                    boolean[] ok) {
    return rate("accuracy", dataset, modelVersion, planVersion, arm, round, ok);
  }

  /** A rate named {@code metric} (e.g. accuracy_known_val, the finetune role's acceptance set) with its Wilson interval. */
  public static Evaluation rate(String metric, String dataset, String modelVersion, String planVersion, String arm, int round,
                                boolean[] ok) {
    long successes = count(ok);
    Wilson w = Wilson.of(successes, ok.length);
    return Evaluation.newBuilder()
        .setEvaluationId("e-" + Sha256.of(metric + "|" + modelVersion + "|" + planVersion + "|" + arm + "|" + dataset + "|0").substring(0, 24))
        .setMetric(metric).setModelVersion(modelVersion).setPlanVersion(planVersion).setDataset(dataset).setArm(arm)
        .setRound(round).setTrials(ok.length).setSuccesses(successes).setRate(w.rate()).setCiLow(w.low())
        .setCiHigh(w.high()).setSeed(0).build();
  }
}
