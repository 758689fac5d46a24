package dev.saerl.workers.generate;

import dev.saerl.core.steps.StepSplitter;
import dev.saerl.schemas.avro.FinishReason;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Step;
import dev.saerl.schemas.avro.StepFeatures;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.core.ids.Sha256;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import dev.saerl.workers.text.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one generated sample into its records: the Generation (text, tokens, steps with
 * character and token spans) and its SampleFeatures (per step, the top-k SAE features by max
 * activation over the step's tokens, with their mean activation over the step).
 */
public final class SampleBuilder {
  private final ModelPack pack;
  private final Tokenizer tokenizer;
  private final SparseAutoencoder sae;
  private final int topK;

  public SampleBuilder(ModelPack pack, Tokenizer tokenizer, SparseAutoencoder sae, int topK) {
    this.pack = pack;
    this.tokenizer = tokenizer;
    this.sae = sae;
    this.topK = topK;
  }

  /** The two records of one sample. */
  public record Sample(Generation generation, SampleFeatures features) {}

  public static String sampleId(String queryId, String modelVersion, int index, long seed) {
    return "s-" + Sha256.of(queryId + "\n" + modelVersion + "\n" + index + "\n" + seed).substring(0, 24);
  }

  /** Each query's sample i gets a seed from (base seed, query id, i): reproducible, and distinct across queries. */
  public static long sampleSeed(long baseSeed, String queryId, int index) {
    return Long.parseUnsignedLong(Sha256.of(baseSeed + ":" + queryId + ":" + index).substring(0, 15), 16);
  }

  public Sample build(Query q, GenerationResult r, int index, long seed, float temperature, List<SparseCodes> codes) {
    String id = sampleId(q.getQueryId(), pack.version(), index, seed);
    List<StepSplitter.Span> spans = StepSplitter.split(r.text());
    int[][] tokenSpans = StepSplitter.tokenSpans(spans, tokenizer.tokenEnds(r.tokens()));
    List<Step> steps = new ArrayList<>();
    List<StepFeatures> features = new ArrayList<>();
    for (StepSplitter.Span s : spans) {
      int[] t = tokenSpans[s.index()];
      steps.add(Step.newBuilder().setIndex(s.index()).setText(s.text()).setCharStart(s.start()).setCharEnd(s.end())
          .setTokenStart(t[0]).setTokenEnd(t[1]).build());
      features.add(stepFeatures(s.index(), t[0], t[1], codes));
    }
    List<Integer> tokens = new ArrayList<>(r.tokens().length);
    for (int tok : r.tokens()) {
      tokens.add(tok);
    }
    Generation g = Generation.newBuilder().setSampleId(id).setQueryId(q.getQueryId()).setDataset(q.getDataset())
        .setSplit(q.getSplit()).setModelVersion(pack.version()).setPlanVersion(null).setSampleIndex(index).setSeed(seed)
        .setTemperature(temperature).setPrompt(pack.prompt(q.getQuestion())).setCompletion(r.text()).setTokenIds(tokens)
        .setPromptTokens(r.promptTokens().length).setSteps(steps)
        .setFinishReason(r.finishReason() == GenerationResult.FinishReason.STOP ? FinishReason.STOP : FinishReason.LENGTH)
        .setGenerationMillis(r.batchNanos() / 1_000_000).setTokensPerSecond((float) r.batchTokensPerSecond()).build();
    SampleFeatures f = SampleFeatures.newBuilder().setSampleId(id).setQueryId(q.getQueryId()).setDataset(q.getDataset())
        .setSplit(q.getSplit()).setModelVersion(pack.version()).setPlanVersion(null).setSaeId(pack.sae().id())
        .setHookLayer(pack.hookLayer()).setSteps(features).build();
    return new Sample(g, f);
  }


  StepFeatures stepFeatures(int index, int from, int to, List<SparseCodes> codes) {
    Map<Integer, float[]> maxAndSum = new HashMap<>();
    int n = Math.max(0, Math.min(to, codes.size()) - from);
    for (int t = from; t < from + n; t++) {
      SparseCodes c = codes.get(t);
      for (int i = 0; i < c.ids().length; i++) {
        float[] ms = maxAndSum.computeIfAbsent(c.ids()[i], k -> new float[2]);
        ms[0] = Math.max(ms[0], c.values()[i]);
        ms[1] += c.values()[i];
      }
    }
    List<Map.Entry<Integer, float[]>> top = new ArrayList<>(maxAndSum.entrySet());
    top.sort((a, b) -> a.getValue()[0] != b.getValue()[0] ? Float.compare(b.getValue()[0], a.getValue()[0])
        : Integer.compare(a.getKey(), b.getKey()));
    top = top.subList(0, Math.min(topK, top.size()));
    List<Integer> ids = new ArrayList<>();
    List<Float> max = new ArrayList<>();
    List<Float> mean = new ArrayList<>();
    for (var e : top) {
      ids.add(e.getKey());
      max.add(e.getValue()[0]);
      mean.add(e.getValue()[1] / n);
    }
    return StepFeatures.newBuilder().setStepIndex(index).setTokenStart(from).setTokenEnd(to)
        .setFeatureIds(ids).setMaxActivations(max).setMeanActivations(mean).build();
  }
}
