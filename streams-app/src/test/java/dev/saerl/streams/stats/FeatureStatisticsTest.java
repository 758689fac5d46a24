package dev.saerl.streams.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.FeatureStats;
import dev.saerl.schemas.avro.FinishReason;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.avro.Step;
import dev.saerl.schemas.avro.StepFeatures;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.verify.SaerlTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The statistics part of the topology on a TopologyTestDriver: joins, sums, plans, examples, UNKNOWN isolation. */
class FeatureStatisticsTest {
  static final StatsConfig CONFIG = StatsConfig.DEFAULTS.withPublishInterval(Duration.ofSeconds(1));

  @TempDir
  Path state;
  Topics topics;
  TopologyTestDriver driver;
  TestInputTopic<String, Query> queries;
  TestInputTopic<String, Generation> generations;
  TestInputTopic<String, SampleFeatures> features;
  TestOutputTopic<String, FeatureStats> stats;
  TestOutputTopic<String, SteeringPlan> plans;

  @BeforeEach
  void start() {
    topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "stats-test", state.toString());
    props.put("bootstrap.servers", "127.0.0.1:1");
    driver = new TopologyTestDriver(SaerlTopology.build(topics, CONFIG), props);
    var q = topics.get(TopicSpecs.QUERIES);
    var g = topics.get(TopicSpecs.GENERATIONS);
    var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
    var s = topics.get(TopicSpecs.FEATURE_STATS);
    var p = topics.get(TopicSpecs.STEERING_PLANS);
    queries = driver.createInputTopic(q.name(), q.keySerde().serializer(), q.valueSerde().serializer());
    generations = driver.createInputTopic(g.name(), g.keySerde().serializer(), g.valueSerde().serializer());
    features = driver.createInputTopic(f.name(), f.keySerde().serializer(), f.valueSerde().serializer());
    stats = driver.createOutputTopic(s.name(), s.keySerde().deserializer(), s.valueSerde().deserializer());
    plans = driver.createOutputTopic(p.name(), p.keySerde().deserializer(), p.valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  static Query query(String id, String answer, Split split) {
    return Query.newBuilder().setQueryId(id).setDataset("d").setGroupId("g-" + id).setQuestion("?")
        .setReferenceAnswer(answer).setSplit(split).setFormat(SourceFormat.GENERIC).setSourceFile("f").setSourceLine(1).build();
  }

  static Generation generation(String queryId, String sample, Split split, String... steps) {
    List<Step> list = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < steps.length; i++) {
      int start = text.length();
      text.append(steps[i]);
      list.add(Step.newBuilder().setIndex(i).setText(steps[i]).setCharStart(start).setCharEnd(text.length())
          .setTokenStart(i).setTokenEnd(i + 1).build());
    }
    return Generation.newBuilder().setSampleId(sample).setQueryId(queryId).setDataset("d").setSplit(split)
        .setModelVersion("v1").setSampleIndex(0).setSeed(1).setTemperature(0.7f).setPrompt("p").setCompletion(text.toString())
        .setTokenIds(List.of()).setPromptTokens(1).setSteps(list).setFinishReason(FinishReason.STOP)
        .setGenerationMillis(1).setTokensPerSecond(1f).build();
  }

  /** Features of a sample: {@code steps[i]} is {feature, activation, feature, activation, ...} for step i. */
  static SampleFeatures sampleFeatures(String queryId, String sample, Split split, float[]... steps) {
    List<StepFeatures> list = new ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      List<Integer> ids = new ArrayList<>();
      List<Float> acts = new ArrayList<>();
      for (int j = 0; j < steps[i].length; j += 2) {
        ids.add((int) steps[i][j]);
        acts.add(steps[i][j + 1]);
      }
      list.add(StepFeatures.newBuilder().setStepIndex(i).setTokenStart(i).setTokenEnd(i + 1).setFeatureIds(ids)
          .setMaxActivations(acts).setMeanActivations(acts).build());
    }
    return SampleFeatures.newBuilder().setSampleId(sample).setQueryId(queryId).setDataset("d").setSplit(split)
        .setModelVersion("v1").setSaeId("sae1").setHookLayer(2).setSteps(list).build();
  }

  KeyValueStore<String, FeatureSums> sums() {
    return driver.getKeyValueStore(StatsStores.FEATURE_SUMS);
  }

  /** The totals of a scope, by its key "dataset/model_version/sae_id". */
  DatasetTotals totals(String scope) {
    return driver.<String, DatasetTotals>getKeyValueStore(StatsStores.DATASET_TOTALS).get(scope);
  }

  Map<String, double[]> allSums() {
    Map<String, double[]> out = new HashMap<>();
    try (var it = sums().all()) {
      it.forEachRemaining(kv -> out.put(kv.key, kv.value.values().clone()));
    }
    return out;
  }

  Map<String, long[]> allTotals() {
    Map<String, long[]> out = new HashMap<>();
    try (var it = driver.<String, DatasetTotals>getKeyValueStore(StatsStores.DATASET_TOTALS).all()) {
      it.forEachRemaining(kv -> out.put(kv.key,
          new long[] {kv.value.samplesCorrect(), kv.value.samplesIncorrect(), kv.value.pairedQueries()}));
    }
    return out;
  }

  @Test
  void featuresJoinVerdictsIntoSumsAndAPairedContrast() {
    queries.pipeInput("q1", query("q1", "66", Split.KNOWN));
    generations.pipeInput("q1", generation("q1", "s1", Split.KNOWN, " 85 - 19 = 66.", " The answer is 66."));
    features.pipeInput("q1", sampleFeatures("q1", "s1", Split.KNOWN, new float[] {5, 2f, 7, 1f}, new float[] {5, 1f}));
    // s2's features arrive before its generation: the join waits for both.
    features.pipeInput("q1", sampleFeatures("q1", "s2", Split.KNOWN, new float[] {7, 3f}));
    assertEquals(new DatasetTotals(1, 0, 0, "v1", "sae1", 2), totals("d/v1/sae1"));
    generations.pipeInput("q1", generation("q1", "s2", Split.KNOWN, " 85 - 19 = 65.", " The answer is 65."));

    assertEquals(new DatasetTotals(1, 1, 1, "v1", "sae1", 2), totals("d/v1/sae1"));
    // feature 5: correct sample only, peak 2 (max over steps); paired diff 2/1 - 0/1 = 2.
    assertEquals(new FeatureSums(new double[] {1, 0, 2, 4, 0, 0, 2, 4}), sums().get("d/v1/sae1/5"));
    // feature 7: 1 in the correct sample, 3 in the incorrect one; paired diff 1 - 3 = -2.
    assertEquals(new FeatureSums(new double[] {1, 1, 1, 1, 3, 9, -2, 4}), sums().get("d/v1/sae1/7"));

    var examples = driver.<String, List<FeatureExample>>getKeyValueStore(StatsStores.FEATURE_EXAMPLES).get("d/v1/sae1/7");
    assertEquals(2, examples.size());
    assertEquals(new FeatureExample(3f, "q1", "s2", 0, " 85 - 19 = 65.", false), examples.get(0));
    assertEquals(new FeatureExample(1f, "q1", "s1", 0, " 85 - 19 = 66.", true), examples.get(1));
  }

  @Test
  void anUpdatedSampleReplacesItsOldContribution() {
    queries.pipeInput("q1", query("q1", "66", Split.KNOWN));
    generations.pipeInput("q1", generation("q1", "s1", Split.KNOWN, " The answer is 66."));
    generations.pipeInput("q1", generation("q1", "s2", Split.KNOWN, " The answer is 60."));
    features.pipeInput("q1", sampleFeatures("q1", "s1", Split.KNOWN, new float[] {5, 2f}));
    features.pipeInput("q1", sampleFeatures("q1", "s2", Split.KNOWN, new float[] {5, 1f}));
    // s1 re-sent with other features (a replay with a changed SAE, say): feature 5 gone, 9 new.
    features.pipeInput("q1", sampleFeatures("q1", "s1", Split.KNOWN, new float[] {9, 4f}));
    // s2 re-verified as the same: a duplicate changes nothing.
    generations.pipeInput("q1", generation("q1", "s2", Split.KNOWN, " The answer is 60."));

    assertEquals(new DatasetTotals(1, 1, 1, "v1", "sae1", 2), totals("d/v1/sae1"));
    assertEquals(new FeatureSums(new double[] {0, 1, 0, 0, 1, 1, -1, 1}), sums().get("d/v1/sae1/5"));
    assertEquals(new FeatureSums(new double[] {1, 0, 4, 16, 0, 0, 4, 16}), sums().get("d/v1/sae1/9"));
  }

  @Test
  void heldOutAndValidationQueriesNeverReachStatistics() {
    for (Split split : List.of(Split.UNKNOWN, Split.KNOWN_VAL)) {
      String q = split + "-1";
      queries.pipeInput(q, query(q, "7", split));
      generations.pipeInput(q, generation(q, q + "s1", split, " The answer is 7."));
      features.pipeInput(q, sampleFeatures(q, q + "s1", split, new float[] {5, 2f}));
      // A sample-features record that claims KNOWN for such a query: its verdict is evaluation-only, so no label.
      features.pipeInput(q, sampleFeatures(q, q + "s2", Split.KNOWN, new float[] {5, 2f}));
      generations.pipeInput(q, generation(q, q + "s2", Split.KNOWN, " The answer is 7."));
    }
    driver.advanceWallClockTime(Duration.ofSeconds(2));

    assertNull(totals("d/v1/sae1"));
    assertTrue(allTotals().isEmpty());
    assertNull(driver.getKeyValueStore(StatsStores.DATASET_VERSIONS).get("d"));
    assertTrue(allSums().isEmpty());
    assertTrue(stats.isEmpty());
    assertTrue(plans.isEmpty());
  }

  @Test
  void statisticsEqualABatchRecomputationWhateverTheArrivalOrder() {
    List<SyntheticSamples.QuerySamples> data = SyntheticSamples.generate("d", Split.KNOWN, 40, 4, 3);
    data.addAll(SyntheticSamples.generate("d", Split.UNKNOWN, 10, 4, 4));
    data.addAll(SyntheticSamples.generate("e", Split.KNOWN, 10, 4, 5));
    List<Query> qs = new ArrayList<>();
    List<Generation> gs = new ArrayList<>();
    List<SampleFeatures> fs = new ArrayList<>();
    data.forEach(d -> {
      qs.add(d.query());
      gs.addAll(d.generations());
      fs.addAll(d.features());
    });
    qs.forEach(q -> queries.pipeInput(q.getQueryId(), q));
    // Features in reverse order, generations interleaved: joins must not depend on arrival order.
    List<KeyValue<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < gs.size(); i++) {
      events.add(KeyValue.pair("g", gs.get(i)));
      events.add(KeyValue.pair("f", fs.get(fs.size() - 1 - i)));
    }
    for (var e : events) {
      if (e.value instanceof Generation g) {
        generations.pipeInput(g.getQueryId(), g);
      } else {
        SampleFeatures f = (SampleFeatures) e.value;
        features.pipeInput(f.getQueryId(), f);
      }
    }
    Recomputation expected = Recomputation.of(qs, gs, fs);
    assertNull(expected.differences(allSums(), allTotals()));
  }

  @Test
  void planPicksFeaturesOfCorrectReasoningAndIsRepublishedOnlyWhenItChanges() {
    for (var d : SyntheticSamples.generate("d", Split.KNOWN, 150, 4, 11)) {
      queries.pipeInput(d.query().getQueryId(), d.query());
      d.generations().forEach(g -> generations.pipeInput(g.getQueryId(), g));
      d.features().forEach(f -> features.pipeInput(f.getQueryId(), f));
    }
    assertTrue(plans.isEmpty(), "plans wait for the publish interval");
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    List<KeyValue<String, SteeringPlan>> published = plans.readKeyValuesToList();
    assertEquals(1, published.size());
    SteeringPlan plan = published.get(0).value;
    assertEquals("d", published.get(0).key);
    assertEquals(PlanBuilder.version(plan), plan.getPlanVersion());
    assertEquals("sae-synthetic", plan.getSaeId());
    assertEquals(2, plan.getHookLayer());
    for (int f : plan.getFeatureIds()) {
      assertTrue(f < SyntheticSamples.GOOD, "plan " + plan.getFeatureIds() + " holds only planted good features");
    }
    assertTrue(plan.getFeatureIds().size() >= 3, "most planted features found: " + plan.getFeatureIds());
    assertFalse(plan.getFeatureIds().contains(SyntheticSamples.EVERYWHERE));
    for (int i = 0; i < plan.getScores().size(); i++) {
      assertTrue(plan.getScores().get(i) > 0);
      assertTrue(i == 0 || plan.getScores().get(i) <= plan.getScores().get(i - 1), "best first");
      assertTrue(plan.getCoefficients().get(i) > 1.0 && plan.getCoefficients().get(i) < 3.0,
          "coefficient ~ typical activation (1..3 planted): " + plan.getCoefficients());
    }

    Map<String, FeatureStats> latest = new HashMap<>();
    stats.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
    assertEquals(allSums().keySet(), latest.keySet(), "every feature's statistics published");
    FeatureStats good = latest.get("d/base/sae-synthetic/" + plan.getFeatureIds().get(0));
    assertTrue(good.getLogOdds() > 0 && good.getCohensD() > 0 && good.getPairedMeanDiff() > 0);
    FeatureStats bad = latest.get("d/base/sae-synthetic/" + SyntheticSamples.GOOD);
    assertTrue(bad.getLogOdds() < 0 && bad.getCohensD() < 0 && bad.getPairedMeanDiff() < 0);

    // A few more samples of the same kind: statistics move, the plan does not change materially.
    for (var d : SyntheticSamples.generate("d", Split.KNOWN, 5, 4, 12)) {
      queries.pipeInput(d.query().getQueryId(), d.query());
      d.generations().forEach(g -> generations.pipeInput(g.getQueryId(), g));
      d.features().forEach(f -> features.pipeInput(f.getQueryId(), f));
    }
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    assertFalse(stats.isEmpty());
    assertTrue(plans.isEmpty(), "no new plan for a small change");
    assertEquals(plan, driver.<String, SteeringPlan>getKeyValueStore(StatsStores.PLANS).get("d"));
  }

  @Test
  void examplesAreBoundedAndBestFirst() {
    queries.pipeInput("q1", query("q1", "1", Split.KNOWN));
    for (int i = 0; i < 20; i++) {
      generations.pipeInput("q1", generation("q1", "s" + i, Split.KNOWN, " step " + i + ".", " The answer is 1."));
      features.pipeInput("q1", sampleFeatures("q1", "s" + i, Split.KNOWN, new float[] {3, i + 1f}));
    }
    var examples = driver.<String, List<FeatureExample>>getKeyValueStore(StatsStores.FEATURE_EXAMPLES).get("d/v1/sae1/3");
    assertEquals(CONFIG.examplesPerFeature(), examples.size());
    assertEquals(20f, examples.get(0).activation());
    assertEquals(" step 19.", examples.get(0).text());
    assertEquals(20f - CONFIG.examplesPerFeature() + 1, examples.get(examples.size() - 1).activation());
  }

  @Test
  void internalSerdesRoundTrip() {
    var serde = InternalSerdes.queryState();
    QueryState q = QueryState.empty("q", "d").update("s1", s -> s.withLabel(true, "v", List.of("a", "b\u00e9")))
        .update("s2", s -> s.withFeatures(sampleFeatures("q", "s2", Split.KNOWN, new float[] {1, 0.5f, 2, 1.5f})));
    assertEquals(q, serde.deserializer().deserialize("t", serde.serializer().serialize("t", q)));
    var examples = InternalSerdes.examples();
    List<FeatureExample> list = List.of(new FeatureExample(1f, "q", "s", 0, "text \u2014 long", true));
    assertEquals(list, examples.deserializer().deserialize("t", examples.serializer().serialize("t", list)));
    byte[] wrongFormat = {9, 0};
    var error = org.junit.jupiter.api.Assertions.assertThrows(org.apache.kafka.common.errors.SerializationException.class,
        () -> serde.deserializer().deserialize("topic-x", wrongFormat));
    assertTrue(error.getMessage().contains("topic-x"), error.getMessage());
  }
}
