package dev.saerl.streams.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.avro.StepFeatures;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.verify.SaerlTopology;
import dev.saerl.streams.web.StatsReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two model versions of one dataset, on the same queries, on a TopologyTestDriver: statistics are kept per
 * (dataset, model version, SAE), never pooled; the published plan is the newest version's once it has one,
 * the older version's (and labelled so) until then. Version 2's samples are version 1's with every planted
 * feature id moved up by {@link #SHIFT}, so a plan built from pooled statistics would mix the two id ranges.
 */
class ModelVersionStatisticsTest {
  static final StatsConfig CONFIG = StatsConfig.DEFAULTS.withPublishInterval(Duration.ofSeconds(1));
  static final int SHIFT = 100;
  static final Instant V1_TIME = Instant.parse("2025-01-01T00:00:00Z");
  static final Instant V2_TIME = V1_TIME.plus(Duration.ofHours(1));

  @TempDir
  Path state;
  TopologyTestDriver driver;
  TestInputTopic<String, Query> queries;
  TestInputTopic<String, Generation> generations;
  TestInputTopic<String, SampleFeatures> features;
  TestOutputTopic<String, SteeringPlan> plans;
  final List<Query> qs = new ArrayList<>();
  final List<Generation> gs = new ArrayList<>();
  final List<SampleFeatures> fs = new ArrayList<>();

  @BeforeEach
  void start() {
    Topics topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "versions-test", state.toString());
    props.put("bootstrap.servers", "127.0.0.1:1");
    driver = new TopologyTestDriver(SaerlTopology.build(topics, CONFIG), props);
    var q = topics.get(TopicSpecs.QUERIES);
    var g = topics.get(TopicSpecs.GENERATIONS);
    var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
    var p = topics.get(TopicSpecs.STEERING_PLANS);
    queries = driver.createInputTopic(q.name(), q.keySerde().serializer(), q.valueSerde().serializer());
    generations = driver.createInputTopic(g.name(), g.keySerde().serializer(), g.valueSerde().serializer());
    features = driver.createInputTopic(f.name(), f.keySerde().serializer(), f.valueSerde().serializer());
    plans = driver.createOutputTopic(p.name(), p.keySerde().deserializer(), p.valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  static final StatsScope V1 = new StatsScope("d", "v1", "sae-synthetic");
  static final StatsScope V2 = new StatsScope("d", "v2", "sae-synthetic");

  /** Version 1's samples of {@code n} queries (seeded), and the same queries' version-2 samples (ids shifted). */
  List<SyntheticSamples.QuerySamples> data(int n) {
    return SyntheticSamples.generate("d", Split.KNOWN, n, 4, 11);
  }

  void publish(SyntheticSamples.QuerySamples d, String version, Instant at) {
    queries.pipeInput(d.query().getQueryId(), d.query(), at);
    qs.add(d.query());
    for (Generation g : d.generations()) {
      Generation x = Generation.newBuilder(g).setSampleId(g.getSampleId() + "@" + version).setModelVersion(version).build();
      generations.pipeInput(x.getQueryId(), x, at);
      gs.add(x);
    }
    for (SampleFeatures f : d.features()) {
      int shift = version.equals("v1") ? 0 : SHIFT;
      List<StepFeatures> steps = f.getSteps().stream().map(s -> StepFeatures.newBuilder(s)
          .setFeatureIds(s.getFeatureIds().stream().map(id -> id <= SyntheticSamples.EVERYWHERE ? id + shift : id).toList())
          .build()).toList();
      SampleFeatures x = SampleFeatures.newBuilder(f).setSampleId(f.getSampleId() + "@" + version).setModelVersion(version)
          .setSteps(steps).build();
      features.pipeInput(x.getQueryId(), x, at);
      fs.add(x);
    }
  }

  void publishAll(List<SyntheticSamples.QuerySamples> data, String version, Instant at) {
    data.forEach(d -> publish(d, version, at));
    driver.advanceWallClockTime(Duration.ofSeconds(2));
  }

  Map<String, double[]> sumsOf(StatsScope scope) {
    Map<String, double[]> out = new HashMap<>();
    try (var it = driver.<String, FeatureSums>getKeyValueStore(StatsStores.FEATURE_SUMS).all()) {
      it.forEachRemaining(kv -> {
        if (kv.key.startsWith(scope.prefix())) {
          out.put(kv.key, kv.value.values().clone());
        }
      });
    }
    return out;
  }

  Map<String, long[]> totalsOf(StatsScope scope) {
    DatasetTotals t = driver.<String, DatasetTotals>getKeyValueStore(StatsStores.DATASET_TOTALS).get(scope.key());
    return t == null ? Map.of() : Map.of(scope.key(), new long[] {t.samplesCorrect(), t.samplesIncorrect(), t.pairedQueries()});
  }

  /** The recomputation over one version's samples only. */
  Recomputation recomputeOnly(String version) {
    return Recomputation.of(qs, gs.stream().filter(g -> g.getModelVersion().equals(version)).toList(),
        fs.stream().filter(f -> f.getModelVersion().equals(version)).toList());
  }

  @Test
  void eachVersionsStatisticsEqualARecomputationOverThatVersionsSamplesOnly() {
    List<SyntheticSamples.QuerySamples> data = data(40);
    // interleaved on the same queries: a query holds samples of both versions at once
    for (var d : data) {
      publish(d, "v1", V1_TIME);
      publish(d, "v2", V2_TIME);
    }
    for (String version : List.of("v1", "v2")) {
      StatsScope scope = new StatsScope("d", version, "sae-synthetic");
      assertNull(recomputeOnly(version).differences(sumsOf(scope), totalsOf(scope)), version);
    }
    assertEquals(fs.size() / 2, new StatsReaderFixture(driver).samples(V1));
    assertEquals(List.of("v2", "v1"), new StatsReaderFixture(driver).versions("d"), "newest first");
  }

  @Test
  void beforeVersionTwoHasAPlanThePublishedPlanIsVersionOnesAndSaysSo() {
    List<SyntheticSamples.QuerySamples> data = data(150);
    publishAll(data, "v1", V1_TIME);
    SteeringPlan first = plans.readValue();
    assertEquals("v1", first.getModelVersion());
    assertTrue(plans.isEmpty());

    // version 2's first samples: fewer than a plan needs
    publishAll(data.subList(0, CONFIG.minPlanSamples() / 4 - 1), "v2", V2_TIME);
    assertTrue(plans.isEmpty(), "no plan published for a version without enough samples, none relabelled");
    SteeringPlan serving = driver.<String, SteeringPlan>getKeyValueStore(StatsStores.PLANS).get("d");
    assertEquals(first, serving);
    assertEquals("v1", serving.getModelVersion());
    assertEquals(PlanBuilder.version(serving), serving.getPlanVersion(), "its version hashes its own label");
    assertTrue(serving.getFeatureIds().stream().allMatch(f -> f < SyntheticSamples.GOOD), serving.getFeatureIds().toString());
    StatsReader reader = new StatsReader(driver::getKeyValueStore, CONFIG);
    assertEquals(serving, reader.plan("d", StatsReader.Version.NEWEST).orElseThrow());
    assertTrue(reader.plan("d", new StatsReader.Version("v2", null)).isEmpty(), "version 2 has no plan of its own yet");
    assertEquals("v2", reader.dataset("d", StatsReader.Version.NEWEST).orElseThrow().get("model_version"));
    assertEquals("v1", reader.dataset("d", StatsReader.Version.NEWEST).orElseThrow().get("published_plan_model_version"));
  }

  @Test
  void onceVersionTwoHasEnoughSamplesThePublishedPlanIsVersionTwosBuiltFromItsStatisticsAlone() {
    List<SyntheticSamples.QuerySamples> data = data(150);
    publishAll(data, "v1", V1_TIME);
    SteeringPlan v1 = plans.readValue();
    publishAll(data, "v2", V2_TIME);
    List<KeyValue<String, SteeringPlan>> published = plans.readKeyValuesToList();
    assertEquals(1, published.size(), published.toString());
    SteeringPlan plan = published.get(0).value;
    assertEquals("d", published.get(0).key);
    assertEquals("v2", plan.getModelVersion());
    assertEquals("sae-synthetic", plan.getSaeId());
    assertEquals(fs.size() / 2, plan.getSamplesUsed(), "version 2's samples only");
    assertTrue(plan.getFeatureIds().stream().allMatch(f -> f >= SHIFT && f < SHIFT + SyntheticSamples.GOOD),
        "only version 2's planted features: " + plan.getFeatureIds());
    DatasetTotals t = driver.<String, DatasetTotals>getKeyValueStore(StatsStores.DATASET_TOTALS).get(V2.key());
    SteeringPlan expected = PlanBuilder.build("d", t,
        DatasetStatsProcessor.features(driver.getKeyValueStore(StatsStores.FEATURE_SUMS), V2, t, CONFIG), CONFIG).orElseThrow();
    assertEquals(expected, plan);

    // version 1's own plan is still kept, labelled version 1, and more version-1 samples do not displace version 2's
    assertEquals(v1, driver.<String, SteeringPlan>getKeyValueStore(StatsStores.VERSION_PLANS).get(V1.key()));
    publishAll(data(30).stream().map(d -> new SyntheticSamples.QuerySamples(d.query(), d.generations().stream()
        .map(g -> Generation.newBuilder(g).setSampleId(g.getSampleId() + "-late").build()).toList(),
        d.features().stream().map(f -> SampleFeatures.newBuilder(f).setSampleId(f.getSampleId() + "-late").build()).toList()))
        .toList(), "v1", V1_TIME.plus(Duration.ofHours(2)));
    assertTrue(plans.isEmpty(), "late version-1 samples publish no plan over version 2's");
    assertEquals(List.of("v2", "v1"), new StatsReaderFixture(driver).versions("d"), "a late sample does not make v1 new");
  }

  @Test
  void theApiReadsTheNewestVersionByDefaultAndAnyVersionOnRequest() throws Exception {
    List<SyntheticSamples.QuerySamples> data = data(150);
    publishAll(data, "v1", V1_TIME);
    publishAll(data.subList(0, 5), "v2", V2_TIME);
    StatsReader reader = new StatsReader(driver::getKeyValueStore, CONFIG);
    try (var server = dev.saerl.streams.web.StatsHttpServer.start(new java.net.InetSocketAddress("127.0.0.1", 0), reader,
        dev.saerl.streams.web.Routing::local)) {
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      var http = java.net.http.HttpClient.newHttpClient();
      java.util.function.Function<String, java.net.http.HttpResponse<String>> get = path -> {
        try {
          return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + path)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      var newest = json.readTree(get.apply("api/datasets/d").body());
      assertEquals("v2", newest.get("model_version").asText());
      assertEquals(5 * 4, newest.get("samples_correct").asLong() + newest.get("samples_incorrect").asLong());
      assertEquals("v1", newest.get("published_plan_model_version").asText());
      var v1 = json.readTree(get.apply("api/datasets/d?model_version=v1").body());
      assertEquals(150 * 4, v1.get("samples_correct").asLong() + v1.get("samples_incorrect").asLong());
      var versions = json.readTree(get.apply("api/datasets/d/versions").body());
      assertEquals(List.of("v2", "v1"), List.of(versions.get(0).get("model_version").asText(), versions.get(1).get("model_version").asText()));
      assertEquals("v1", json.readTree(get.apply("api/datasets/d/plan").body()).get("model_version").asText());
      assertEquals(404, get.apply("api/datasets/d/plan?model_version=v2").statusCode());
      assertEquals(404, get.apply("api/datasets/d/features?model_version=v9").statusCode());
      var features = json.readTree(get.apply("api/datasets/d/features?model_version=v1&limit=3").body());
      assertTrue(features.get(0).get("in_plan").asBoolean(), features.toString());
      assertEquals(1, json.readTree(get.apply("api/counts").body()).get("plans").asInt());
    }
  }

  @Test
  void anotherSaeOfTheSameModelVersionIsKeptApart() {
    SyntheticSamples.QuerySamples d = data(1).get(0);
    publish(d, "v1", V1_TIME);
    for (SampleFeatures f : d.features()) {
      SampleFeatures x = SampleFeatures.newBuilder(f).setSampleId(f.getSampleId() + "@v1").setModelVersion("v1")
          .setSaeId("sae-other").build();
      features.pipeInput(x.getQueryId(), x, V2_TIME); // the same samples re-encoded by another SAE move to its scope
    }
    assertTrue(totalsOf(V1).isEmpty(), "nothing left under the first SAE");
    assertFalse(totalsOf(new StatsScope("d", "v1", "sae-other")).isEmpty());
    assertEquals(List.of("v1"), new StatsReaderFixture(driver).versions("d"));
    assertNotNull(driver.getKeyValueStore(StatsStores.DATASET_VERSIONS).get("d"));
  }

  /** Reads the versions store in the test's terms. */
  record StatsReaderFixture(TopologyTestDriver driver) {
    List<String> versions(String dataset) {
      DatasetVersions v = driver.<String, DatasetVersions>getKeyValueStore(StatsStores.DATASET_VERSIONS).get(dataset);
      return v.newestFirst().stream().map(DatasetVersions.Version::modelVersion).toList();
    }

    long samples(StatsScope scope) {
      return driver.<String, DatasetTotals>getKeyValueStore(StatsStores.DATASET_TOTALS).get(scope.key()).samples();
    }
  }
}
