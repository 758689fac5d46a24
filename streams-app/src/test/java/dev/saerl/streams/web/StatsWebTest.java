package dev.saerl.streams.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.schemas.avro.FeatureLabel;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.FeatureLabels;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.verify.SaerlTopology;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API on a topology fed with synthetic samples, and the page rendered by headless Chromium. */
class StatsWebTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  static Path dir;
  static TopologyTestDriver driver;
  static StatsHttpServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Topics topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "web-test", dir.resolve("state").toString());
    props.put("bootstrap.servers", "127.0.0.1:1");
    StatsConfig config = StatsConfig.DEFAULTS;
    driver = new TopologyTestDriver(SaerlTopology.build(topics, config), props);
    var q = topics.get(TopicSpecs.QUERIES);
    var g = topics.get(TopicSpecs.GENERATIONS);
    var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
    var qIn = driver.createInputTopic(q.name(), q.keySerde().serializer(), q.valueSerde().serializer());
    var gIn = driver.createInputTopic(g.name(), g.keySerde().serializer(), g.valueSerde().serializer());
    var fIn = driver.createInputTopic(f.name(), f.keySerde().serializer(), f.valueSerde().serializer());
    for (String dataset : List.of("arith", "gsm <8k>")) {
      for (var d : SyntheticSamples.generate(dataset, Split.KNOWN, 120, 4, dataset.length())) {
        qIn.pipeInput(d.query().getQueryId(), d.query());
        d.generations().forEach(x -> gIn.pipeInput(x.getQueryId(), x));
        d.features().forEach(x -> fIn.pipeInput(x.getQueryId(), x));
      }
    }
    driver.advanceWallClockTime(Duration.ofSeconds(5));
    StatsReader reader = new StatsReader(driver::getKeyValueStore, config);
    labelTopFeature(topics, reader);
    server = StatsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), reader, Routing::local);
  }

  static final String LABEL = "mentions an answer";

  /** An examiner's label for arith's top feature, as examine label publishes it. */
  static void labelTopFeature(Topics topics, StatsReader reader) {
    var d = reader.dataset("arith", StatsReader.Version.NEWEST).orElseThrow();
    int top = (int) reader.features("arith", StatsReader.Version.NEWEST, 1).orElseThrow().getFirst().get("feature_id");
    var label = FeatureLabel.newBuilder().setDataset("arith").setModelVersion((String) d.get("model_version"))
        .setSaeId((String) d.get("sae_id")).setFeatureId(top).setLabel(LABEL).setLabelSteps(4).setDetectionTrials(8)
        .setDetectionCorrect(6).setDetectionAccuracy(0.75).setEndpoint("http://127.0.0.1:8000/v1").setModel("arith-base-v1").build();
    var l = topics.get(TopicSpecs.FEATURE_LABELS);
    driver.createInputTopic(l.name(), l.keySerde().serializer(), l.valueSerde().serializer())
        .pipeInput(FeatureLabels.key(label.getDataset(), label.getModelVersion(), label.getSaeId(), top), label);
  }

  @Test
  void anExaminersLabelIsServedBesideItsFeatureWithItsDetectionScoreAndWhoWroteIt() throws Exception {
    JsonNode features = json("/api/datasets/arith/features?limit=3");
    JsonNode top = features.get(0);
    assertEquals(LABEL, top.get("label").asText(), top.toString());
    assertEquals(0.75, top.get("label_accuracy").asDouble());
    assertEquals(8, top.get("label_trials").asInt());
    assertEquals("arith-base-v1", top.get("label_model").asText());
    assertEquals("http://127.0.0.1:8000/v1", top.get("label_endpoint").asText());
    assertFalse(features.get(1).has("label"), "an unlabelled feature has no label field");
    assertEquals(LABEL, json("/api/datasets/arith/features/" + top.get("feature_id").asInt()).get("label").asText());
    assertFalse(json("/api/datasets/" + enc("gsm <8k>") + "/features?limit=1").get(0).has("label"), "labels are per dataset");
  }

  @AfterAll
  static void stop() {
    server.close();
    driver.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return JSON.readTree(r.body());
  }

  @Test
  void apiServesDatasetsFeaturesExamplesAndPlans() throws Exception {
    JsonNode datasets = json("/api/datasets");
    assertEquals(2, datasets.size());
    JsonNode counts = json("/api/counts");
    assertEquals(2, counts.get("datasets").asInt());
    assertEquals(2 * 120 * 4, counts.get("samples_correct").asLong() + counts.get("samples_incorrect").asLong());

    JsonNode features = json("/api/datasets/arith/features?limit=10");
    assertEquals(10, features.size());
    JsonNode top = features.get(0);
    assertTrue(top.get("ranked").asBoolean() && top.get("in_plan").asBoolean(), top.toString());
    assertTrue(top.get("feature_id").asInt() < SyntheticSamples.GOOD, top.toString());
    double previous = Double.MAX_VALUE;
    for (JsonNode f : features) {
      if (f.get("ranked").asBoolean()) {
        assertTrue(f.get("score").asDouble() <= previous, "sorted by score");
        previous = f.get("score").asDouble();
      }
    }

    JsonNode feature = json("/api/datasets/arith/features/" + top.get("feature_id").asInt());
    assertEquals(top.get("score"), feature.get("score"));
    JsonNode examples = feature.get("examples");
    assertEquals(StatsConfig.DEFAULTS.examplesPerFeature(), examples.size());
    assertTrue(examples.get(0).get("activation").asDouble() >= examples.get(1).get("activation").asDouble());
    assertTrue(examples.get(0).get("text").asText().contains("Step") || examples.get(0).get("text").asText().contains("answer"));

    JsonNode plan = json("/api/datasets/" + enc("gsm <8k>") + "/plan");
    assertEquals("gsm <8k>", plan.get("dataset").asText());
    assertTrue(plan.get("plan_version").asText().startsWith("plan-"));
    assertEquals(plan.get("feature_ids").size(), plan.get("coefficients").size());

    assertEquals(404, get("/api/datasets/nope/features").statusCode());
    assertEquals(404, get("/api/datasets/arith/features/999999").statusCode());
    HttpResponse<String> bad = get("/api/datasets/arith/features/x1");
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("x1"), bad.body());
  }

  @Test
  void withATokenTheApiRefusesRequestsWithoutIt() throws Exception {
    StatsReader reader = new StatsReader(driver::getKeyValueStore, StatsConfig.DEFAULTS);
    try (StatsHttpServer secured = StatsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), reader, Routing::local, "s3cret")) {
      URI uri = URI.create(secured.url() + "api/datasets");
      HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, none.statusCode());
      assertTrue(!none.body().contains("s3cret"), "the error does not echo the token");
      HttpResponse<String> wrong = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer nope").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(401, wrong.statusCode());
      assertEquals(200, HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer s3cret").build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(uri + "?token=s3cret")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The page in headless Chromium (Debian's chromium package): the DOM after its scripts ran, and a screenshot. */
  @Test
  void pageRendersTheFeatureTablePlanAndExamplesInChromium() throws Exception {
    String chromium = findChromium();
    Path shot = Path.of(System.getProperty("saerl.repo.root", "."), "streams-app", "target", "stats-page.png");
    Files.createDirectories(shot.getParent());
    String url = server.url() + "?dataset=arith";
    String dom = run(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--user-data-dir=" + dir.resolve("chromium-dom"), "--virtual-time-budget=15000", "--dump-dom", url);
    String plan = json("/api/datasets/arith/plan").get("plan_version").asText();
    JsonNode top = json("/api/datasets/arith/features?limit=1").get(0);
    assertTrue(dom.contains("<tr class=\"feature in-plan\" data-feature=\"" + top.get("feature_id").asInt() + "\">"),
        "feature table rendered with the top feature marked as in the plan:\n" + dom);
    assertTrue(dom.contains(plan), "plan version shown");
    assertTrue(dom.contains(LABEL + " (75% of 8)"), "the examiner's label beside its detection score");
    assertTrue(dom.contains("id=\"examples\""), "the top feature's examples shown");
    assertTrue(dom.contains("The answer is") || dom.contains("Step "), "example step texts shown");
    assertFalse(dom.contains("id=\"error\">") && !dom.contains("id=\"error\"></div>"), "no error shown");
    run(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--user-data-dir=" + dir.resolve("chromium-shot"), "--virtual-time-budget=15000", "--hide-scrollbars",
        "--window-size=1500,1000", "--screenshot=" + shot, url);
    assertTrue(Files.size(shot) > 10_000, "screenshot written to " + shot);
  }

  static String findChromium() {
    for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      if (new File(c).canExecute()) {
        return c;
      }
    }
    throw new AssertionError("headless Chromium not found: install Debian's 'chromium' package (.ci/run does)");
  }

  static String run(String... command) throws Exception {
    Path out = Files.createTempFile(dir, "chromium", ".out");
    Process p = new ProcessBuilder(command).redirectErrorStream(false).redirectOutput(out.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s: " + String.join(" ", command));
    }
    assertEquals(0, p.exitValue(), "chromium exit status");
    String text = Files.readString(out);
    assertNotNull(text);
    return text;
  }
}
