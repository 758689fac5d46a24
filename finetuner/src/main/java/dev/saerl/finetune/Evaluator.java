package dev.saerl.finetune;

import dev.saerl.core.stats.Wilson;
import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.core.ids.Sha256;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

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
    boolean[] ok = new boolean[queries.size()];
    Steering steering = extra == null ? Steering.NONE : Steering.everywhere(extra);
    for (int from = 0; from < queries.size(); from += batch) {
      List<GenerationRequest> requests = new ArrayList<>();
      for (Query q : queries.subList(from, Math.min(queries.size(), from + batch))) {
        requests.add(new GenerationRequest(generator.pack().prompt(q.getQuestion()), maxNewTokens, 0f, 1f, 0, steering));
      }
      List<GenerationResult> results = generator.generate(requests);
      for (int i = 0; i < results.size(); i++) {
        ok[from + i] = Verifier.verify(queries.get(from + i).getReferenceAnswer(), results.get(i).text()).correct();
      }
      progress.accept(Math.min(queries.size(), from + batch));
    }
    return ok;
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
