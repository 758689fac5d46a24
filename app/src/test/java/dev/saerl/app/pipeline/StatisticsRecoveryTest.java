package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.app.StatsSnapshots;
import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.avro.StepFeatures;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.stats.Recomputation;
import dev.saerl.streams.stats.StatsConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature statistics on the real broker and registry: two instances share the work and answer for
 * each other over HTTP; after a restart on the same state, and after wiping local state (restored
 * from changelogs), the stores equal a batch recomputation from the input topics' records.
 */
@Tag("integration")
class StatisticsRecoveryTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Duration WAIT = Duration.ofSeconds(120);
  static final StatsConfig CONFIG = StatsConfig.DEFAULTS.withPublishInterval(Duration.ofMillis(500));

  @TempDir
  Path dir;
  final List<Query> queries = new ArrayList<>();
  final List<Generation> generations = new ArrayList<>();
  final List<SampleFeatures> features = new ArrayList<>();

  @Test
  void statisticsSurviveRestartsAndStateLossAndEqualARecomputation() throws Exception {
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "r.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("r.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      List<SyntheticSamples.QuerySamples> data = new ArrayList<>(SyntheticSamples.generate("alpha", Split.KNOWN, 60, 4, 1));
      data.addAll(SyntheticSamples.generate("alpha", Split.UNKNOWN, 15, 4, 2));
      data.addAll(SyntheticSamples.generate("beta", Split.KNOWN, 30, 4, 3));
      data.addAll(SyntheticSamples.generate("gamma", Split.KNOWN, 30, 4, 4));
      publish(topics, client, data);

      // Two instances, each with its own state dir and HTTP port.
      try (StreamsService a = start(topics, client, "a", false); StreamsService b = start(topics, client, "b", false)) {
        Recomputation expected = recompute();
        awaitEqual(expected, a, b);
        // Either instance answers for every dataset, routing to the owner. A plan published between the two
        // reads changes in_plan, so the two answers are read again (bounded) until they are read in one plan.
        for (String dataset : List.of("alpha", "beta", "gamma")) {
          String path = "api/datasets/" + dataset + "/features?limit=20";
          JsonNode fromA = get(a.url() + path);
          JsonNode fromB = get(b.url() + path);
          for (long deadline = System.nanoTime() + WAIT.toNanos(); !fromA.equals(fromB) && System.nanoTime() < deadline; ) {
            Thread.sleep(250);
            fromA = get(a.url() + path);
            fromB = get(b.url() + path);
          }
          assertEquals(fromA, fromB, dataset);
          assertEquals(20, fromA.size());
        }
        assertEquals(3, get(a.url() + "api/datasets").size());
        // the same race for the counts: a plan published between the two reads counts on one side only
        JsonNode countsA = get(a.url() + "api/counts");
        JsonNode countsB = get(b.url() + "api/counts");
        for (long deadline = System.nanoTime() + WAIT.toNanos(); !countsA.equals(countsB) && System.nanoTime() < deadline; ) {
          Thread.sleep(250);
          countsA = get(a.url() + "api/counts");
          countsB = get(b.url() + "api/counts");
        }
        assertEquals(countsA, countsB);
        // The plans are published on the compacted topic, made of the planted features only.
        // (a plan is republished when it changes materially as samples arrive: the newest per dataset counts)
        Map<String, SteeringPlan> plans = new HashMap<>();
        TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.STEERING_PLANS), Integer.MAX_VALUE,
            Duration.ofSeconds(5)).forEach(p -> plans.put(p.getDataset(), p));
        assertEquals(java.util.Set.of("alpha", "beta", "gamma"), plans.keySet(), "a plan per dataset");
        for (SteeringPlan p : plans.values()) {
          assertTrue(p.getFeatureIds().stream().allMatch(f -> f < SyntheticSamples.GOOD), p.toString());
          assertEquals(p.getPlanVersion(), get(a.url() + "api/datasets/" + p.getDataset() + "/plan").get("plan_version").asText());
        }
      }

      // Restart on the same state dir: the same statistics, then more data and a changed sample.
      try (StreamsService a = start(topics, client, "a", false)) {
        awaitEqual(recompute(), a);
        List<SyntheticSamples.QuerySamples> more = new ArrayList<>(SyntheticSamples.generate("beta", Split.KNOWN, 10, 4, 5));
        SampleFeatures changed = features.get(0);
        StepFeatures step = changed.getSteps().get(0);
        SampleFeatures resent = SampleFeatures.newBuilder(changed).setSteps(List.of(StepFeatures.newBuilder(step)
            .setFeatureIds(List.of(1000, 1001)).setMaxActivations(List.of(5f, 6f)).setMeanActivations(List.of(1f, 1f)).build()))
            .build();
        more.add(new SyntheticSamples.QuerySamples(queries.get(0), List.of(), List.of(resent)));
        publish(topics, client, more);
        awaitEqual(recompute(), a);
      }

      // Local state wiped: the stores are rebuilt from their changelogs and still equal the recomputation.
      try (StreamsService a = start(topics, client, "a", true)) {
        awaitEqual(recompute(), a);
        JsonNode alpha = get(a.url() + "api/datasets/alpha");
        assertEquals(60 * 4, alpha.get("samples_correct").asLong() + alpha.get("samples_incorrect").asLong(),
            "UNKNOWN samples are not counted");
      }
    }
  }

  StreamsService start(Topics topics, Properties client, String name, boolean wipe) throws Exception {
    return StreamsService.start(topics, client, "r-streams", dir.resolve("state-" + name),
        new InetSocketAddress("127.0.0.1", 0), CONFIG, wipe);
  }

  void publish(Topics topics, Properties client, List<SyntheticSamples.QuerySamples> data) throws Exception {
    var q = topics.get(TopicSpecs.QUERIES);
    var g = topics.get(TopicSpecs.GENERATIONS);
    var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
    try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (var d : data) {
        producer.send(q.record(d.query().getQueryId(), d.query()));
        queries.add(d.query());
      }
      for (var d : data) {
        d.generations().forEach(x -> producer.send(g.record(x.getQueryId(), x)));
        d.features().forEach(x -> producer.send(f.record(x.getQueryId(), x)));
        generations.addAll(d.generations());
        features.addAll(d.features());
      }
      producer.flush();
    }
  }

  Recomputation recompute() {
    return Recomputation.of(queries, generations, features);
  }

  static void awaitEqual(Recomputation expected, StreamsService... instances) throws InterruptedException {
    StatsSnapshots.awaitEqual(expected, WAIT, java.util.Arrays.stream(instances).map(StreamsService::streams)
        .toArray(KafkaStreams[]::new));
  }

  static JsonNode get(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + ": " + r.body());
    return JSON.readTree(r.body());
  }
}
