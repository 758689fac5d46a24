package dev.saerl.streams.bench;

import dev.saerl.schemas.avro.FinishReason;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.Step;
import dev.saerl.schemas.avro.StepFeatures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded records shaped like the workers' output, with a planted signal, for the statistics'
 * tests and benchmark: each query has its own difficulty; features {@code 0..GOOD-1} fire more often
 * and more strongly in correct samples, {@code GOOD..2*GOOD-1} in incorrect ones, feature
 * {@link #EVERYWHERE} in every step, and the rest at random. The verdict comes from the completion
 * ("The answer is N."), so the real verifier decides correctness.
 */
public final class SyntheticSamples {
  public static final int GOOD = 4;
  public static final int EVERYWHERE = 2 * GOOD;
  public static final int FEATURES = 1024;
  public static final int TOP_K = 16;
  public static final int STEPS = 4;

  /** One query and its samples. */
  public record QuerySamples(Query query, List<Generation> generations, List<SampleFeatures> features) {}

  private SyntheticSamples() {}

  public static List<QuerySamples> generate(String dataset, Split split, int queries, int samplesPerQuery, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<QuerySamples> out = new ArrayList<>(queries);
    for (int q = 0; q < queries; q++) {
      String queryId = dataset + "-q" + q + "-" + seed;
      int answer = rnd.nextInt(10, 200);
      Query query = Query.newBuilder().setQueryId(queryId).setDataset(dataset).setGroupId("g-" + queryId)
          .setQuestion("What is " + (answer - 7) + " + 7?").setReferenceAnswer(Integer.toString(answer))
          .setSplit(split).setFormat(SourceFormat.GENERIC).setSourceFile("synthetic").setSourceLine(q + 1).build();
      double difficulty = rnd.nextDouble(0.15, 0.85);
      List<Generation> gens = new ArrayList<>();
      List<SampleFeatures> feats = new ArrayList<>();
      for (int s = 0; s < samplesPerQuery; s++) {
        boolean correct = rnd.nextDouble() > difficulty;
        String sampleId = queryId + "-s" + s;
        int given = correct ? answer : answer + 1 + rnd.nextInt(9);
        List<Step> steps = new ArrayList<>();
        StringBuilder completion = new StringBuilder();
        for (int i = 0; i < STEPS; i++) {
          String text = i < STEPS - 1 ? " Step " + i + ": " + (answer - 7) + " + 7 is worked on." : " The answer is " + given + ".";
          int start = completion.length();
          completion.append(text);
          steps.add(Step.newBuilder().setIndex(i).setText(text).setCharStart(start).setCharEnd(completion.length())
              .setTokenStart(i * 8).setTokenEnd(i * 8 + 8).build());
        }
        gens.add(Generation.newBuilder().setSampleId(sampleId).setQueryId(queryId).setDataset(dataset).setSplit(split)
            .setModelVersion("base").setSampleIndex(s).setSeed(seed + s).setTemperature(0.8f).setPrompt(query.getQuestion())
            .setCompletion(completion.toString()).setTokenIds(List.of()).setPromptTokens(8).setSteps(steps)
            .setFinishReason(FinishReason.STOP).setGenerationMillis(10).setTokensPerSecond(100f).build());
        List<StepFeatures> stepFeatures = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) {
          stepFeatures.add(step(rnd, i, correct));
        }
        feats.add(SampleFeatures.newBuilder().setSampleId(sampleId).setQueryId(queryId).setDataset(dataset)
            .setSplit(split).setModelVersion("base").setSaeId("sae-synthetic").setHookLayer(2).setSteps(stepFeatures).build());
      }
      out.add(new QuerySamples(query, gens, feats));
    }
    return out;
  }

  private static StepFeatures step(SplittableRandom rnd, int index, boolean correct) {
    Map<Integer, Float> active = new LinkedHashMap<>();
    active.put(EVERYWHERE, (float) rnd.nextDouble(0.5, 1.5));
    for (int f = 0; f < 2 * GOOD; f++) {
      boolean favoured = (f < GOOD) == correct;
      if (rnd.nextDouble() < (favoured ? 0.45 : 0.12)) {
        active.put(f, (float) (favoured ? rnd.nextDouble(1.0, 3.0) : rnd.nextDouble(0.2, 1.2)));
      }
    }
    while (active.size() < TOP_K) {
      active.putIfAbsent(EVERYWHERE + 1 + rnd.nextInt(FEATURES - EVERYWHERE - 1), (float) rnd.nextDouble(0.05, 2.0));
    }
    List<Map.Entry<Integer, Float>> sorted = new ArrayList<>(active.entrySet());
    sorted.sort(Map.Entry.<Integer, Float>comparingByValue().reversed());
    List<Integer> ids = new ArrayList<>();
    List<Float> max = new ArrayList<>();
    List<Float> mean = new ArrayList<>();
    for (var e : sorted) {
      ids.add(e.getKey());
      max.add(e.getValue());
      mean.add(e.getValue() * 0.6f);
    }
    return StepFeatures.newBuilder().setStepIndex(index).setTokenStart(index * 8).setTokenEnd(index * 8 + 8)
        .setFeatureIds(ids).setMaxActivations(max).setMeanActivations(mean).build();
  }
}
