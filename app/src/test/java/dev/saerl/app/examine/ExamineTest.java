package dev.saerl.app.examine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.saerl.app.cli.ExamineCommand;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.app.serve.OpenAiServer;
import dev.saerl.producers.examine.ExaminerClient;
import dev.saerl.producers.examine.QueriesSnapshot;
import dev.saerl.producers.examine.Rephraser;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.workers.pack.ModelPack;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
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
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The examiner on the real broker and registry. Rephrasings: end to end against {@code saerl serve} on the bundled
 * pack (behind a recording pass-through, so the test sees every prompt), and through the CLI against a stub that
 * answers good and bad rephrasings on purpose. Labels: through the CLI against {@code saerl serve}, from the Streams
 * app's top activating steps back to its API.
 */
@Tag("integration")
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ExamineTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String PREFIX = "e.";
  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static HttpSchemaRegistry registry;
  static Topics topics;
  static Properties client;
  static OpenAiServer serve;

  @BeforeAll
  static void start() {
    stack = EmbeddedStack.start(dir.resolve("data"), PREFIX);
    registry = new HttpSchemaRegistry(stack.registryUrl());
    topics = new Topics(PREFIX, registry);
    client = new Properties();
    client.put("bootstrap.servers", stack.bootstrapServers());
  }

  @AfterAll
  static void stop() {
    if (serve != null) {
      serve.close();
    }
    registry.close();
    stack.close();
  }

  /** A chat endpoint on loopback: {@code answer} maps each request body to a reply body; every user message is kept. */
  static final class Endpoint implements AutoCloseable {
    final HttpServer server;
    final List<String> users = new CopyOnWriteArrayList<>();

    Endpoint(Function<JsonNode, String> answer) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/v1/chat/completions", exchange -> {
        try (exchange) {
          JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
          users.add(body.at("/messages/0/content").asText());
          send(exchange, answer.apply(body));
        }
      });
      server.start();
    }

    static void send(HttpExchange exchange, String reply) throws IOException {
      byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** The dataset's non-KNOWN groups, and the questions of every query in one of them. */
  static Set<String> heldOutQuestions(List<Query> queries) {
    Set<String> groups = queries.stream().filter(q -> q.getSplit() != dev.saerl.schemas.avro.Split.KNOWN)
        .map(Query::getGroupId).collect(Collectors.toSet());
    return queries.stream().filter(q -> groups.contains(q.getGroupId())).map(Query::getQuestion).collect(Collectors.toSet());
  }

  static Query query(String dataset, String id, String group, dev.saerl.schemas.avro.Split split, String question, String answer) {
    return Query.newBuilder().setQueryId(id).setDataset(dataset).setGroupId(group).setQuestion(question).setReferenceAnswer(answer)
        .setSplit(split).setFormat(dev.saerl.schemas.avro.SourceFormat.GENERIC).setSourceFile("test").setSourceLine(1).build();
  }

  @Test
  void rephrasingsFromSaerlServeAreVerifiedCountedAndNoHeldOutGroupIsEverAsked() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path file = dir.resolve("arith30.jsonl");
    Files.write(file, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, 30));
    try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
      new Ingestor("arith-e2e", Split.DEFAULT, sink).ingest(file, b -> {});
    }
    List<Query> ingested = QueriesSnapshot.read(client, topics, "arith-e2e", Duration.ofSeconds(30));
    assertEquals(30, ingested.size());
    Query unknown = ingested.stream().filter(q -> q.getSplit() == dev.saerl.schemas.avro.Split.UNKNOWN).findFirst().orElseThrow();
    try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) { // tempting: a record claiming KNOWN inside an UNKNOWN group
      sink.query(query("arith-e2e", "claims-known", unknown.getGroupId(), dev.saerl.schemas.avro.Split.KNOWN,
          "Tom has 5 pens. He buys 7 more. How many pens does Tom have now?", "12"));
      sink.flush();
    }
    List<Query> dataset = QueriesSnapshot.read(client, topics, "arith-e2e", Duration.ofSeconds(30));
    Set<String> heldOut = heldOutQuestions(dataset);
    long eligible = dataset.stream().filter(q -> !heldOut.contains(q.getQuestion())).count();
    assertTrue(heldOut.size() >= 4 && eligible >= 6, "the first 30 rows hold both kinds: " + heldOut.size() + " held out");

    ModelPack pack = ModelPack.load(root.resolve("models/arith"));
    serve = OpenAiServer.start(pack, 1, OpenAiServer.Config.loopback(0));
    HttpClient http = HttpClient.newHttpClient();
    Rephraser.Summary summary;
    try (Endpoint passThrough = new Endpoint(body -> forward(http, serve.url() + "/chat/completions", body));
         ExaminerClient examiner = new ExaminerClient(new ExaminerClient.Config(passThrough.url(), null, null, 50,
             Duration.ofSeconds(60), Duration.ofMinutes(4), 3, Duration.ofMillis(100)));
         KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
      summary = new Rephraser(examiner, Rephraser.Settings.defaults(), sink::query).run(dataset);
      sink.flush();
      System.out.println("saerl serve as examiner: " + summary);
      summary.examples().forEach(e -> System.out.println("  " + e));
      for (String user : passThrough.users) {
        for (String q : heldOut) {
          assertFalse(user.contains(q), "a held-out group's question reached the examiner: " + user);
        }
      }
      assertTrue(passThrough.users.size() >= eligible, "every eligible query was asked: " + passThrough.users.size());
    }
    assertEquals(eligible, summary.eligible());
    assertEquals(eligible, summary.asked());
    assertEquals(0, summary.failed(), summary.examples().toString());
    assertEquals(summary.asked(), summary.accepted() + summary.rejected().values().stream().mapToInt(Integer::intValue).sum());

    List<Query> after = QueriesSnapshot.read(client, topics, "arith-e2e", Duration.ofSeconds(30));
    Map<String, Query> byId = after.stream().collect(Collectors.toMap(Query::getQueryId, q -> q));
    List<Query> written = after.stream().filter(q -> q.getProvenance() != null).toList();
    assertEquals(summary.accepted(), written.size());
    for (Query r : written) {
      Query source = byId.get(r.getProvenance().getSourceQueryId());
      assertEquals(source.getGroupId(), r.getGroupId());
      assertEquals(source.getSplit(), r.getSplit());
      assertFalse(heldOut.contains(source.getQuestion()));
      assertEquals(serve.model(), r.getProvenance().getModel());
    }
  }

  static String forward(HttpClient http, String url, JsonNode body) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
      return r.body();
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void throughTheCliAGoodRephrasingLandsWithProvenanceAndOnesThatChangeTheAnswerDoNot() throws Exception {
    String ds = "stub-e2e";
    List<Query> rows = List.of(
        query(ds, "good", "g1", dev.saerl.schemas.avro.Split.KNOWN, "Ann has 4 cups. She gets 3 more. How many cups now?", "7"),
        query(ds, "changed", "g2", dev.saerl.schemas.avro.Split.KNOWN, "Bob has 10 hats. He loses 2. How many hats now?", "8"),
        query(ds, "unsolved", "g3", dev.saerl.schemas.avro.Split.KNOWN, "Cal has 6 pens. He finds 5 more. How many pens now?", "11"),
        query(ds, "held-out", "g4", dev.saerl.schemas.avro.Split.UNKNOWN, "Dee has 9 keys. She finds 1 more. How many keys now?", "10"),
        query(ds, "val", "g5", dev.saerl.schemas.avro.Split.KNOWN_VAL, "Eve has 2 cats. She gets 2 more. How many cats now?", "4"),
        query(ds, "claims-known", "g4", dev.saerl.schemas.avro.Split.KNOWN, "Dee owns 9 keys and finds 1 more. How many keys?", "10"));
    try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
      rows.forEach(sink::query);
      sink.flush();
    }
    Map<String, String> answers = rows.stream().collect(Collectors.toMap(Query::getQuestion, Query::getReferenceAnswer));
    String problem = "Problem: ";
    Function<JsonNode, String> stub = body -> {
      String user = body.at("/messages/0/content").asText();
      String content;
      if (user.contains(problem)) { // a rephrasing request: keep the numbers, except for Bob's hats
        String q = user.substring(user.indexOf(problem) + problem.length());
        content = q.replace("has", "owns").replace("10 hats", "12 hats");
      } else { // a solve request: the right answer, except for Cal's pens
        String original = answers.keySet().stream().filter(k -> k.replace("has", "owns").equals(user)).findFirst().orElse("");
        content = user.contains("Cal") ? "The answer is 12." : "The answer is " + answers.getOrDefault(original, "?") + ".";
      }
      var reply = JSON.createObjectNode().put("model", "stub-model");
      reply.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", content);
      return reply.toString();
    };
    try (Endpoint examiner = new Endpoint(stub)) {
      int exit = new CommandLine(new ExamineCommand()).execute("rephrase", "--dataset", ds, "--examiner-url", examiner.url().toString(),
          "--rate", "50", "--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl(), "--topic-prefix", PREFIX);
      assertEquals(0, exit);
      for (String user : examiner.users) {
        assertFalse(user.contains("Dee") || user.contains("Eve"), "a held-out group reached the examiner: " + user);
      }
      assertEquals(5, examiner.users.size(), "3 rephrasings asked, 2 passed the numbers rule and were solved");
    }
    List<Query> written = QueriesSnapshot.read(client, topics, ds, Duration.ofSeconds(30)).stream()
        .filter(q -> q.getProvenance() != null).toList();
    assertEquals(1, written.size(), written.toString());
    Query r = written.getFirst();
    assertEquals("good", r.getProvenance().getSourceQueryId());
    assertEquals("Ann owns 4 cups. She gets 3 more. How many cups now?", r.getQuestion());
    assertEquals("g1", r.getGroupId());
    assertEquals(dev.saerl.schemas.avro.Split.KNOWN, r.getSplit());
    assertEquals("7", r.getReferenceAnswer());
    assertEquals("stub-model", r.getProvenance().getModel());
    assertTrue(r.getProvenance().getEndpoint().startsWith("http://127.0.0.1:"), r.getProvenance().getEndpoint());
    assertEquals("numbers-kept+solved", r.getProvenance().getCheck());
  }

  @Test
  void labelsFromSaerlServeReachTheStreamsAppBesideTheirFeaturesWithDetectionScoresAndTheirModel() throws Exception {
    String ds = "synth";
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(client,
        new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      var q = topics.get(TopicSpecs.QUERIES);
      var g = topics.get(TopicSpecs.GENERATIONS);
      var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
      var samples = SyntheticSamples.generate(ds, dev.saerl.schemas.avro.Split.KNOWN, 60, 4, 3);
      samples.forEach(d -> producer.send(q.record(d.query().getQueryId(), d.query())));
      producer.flush(); // the queries first: a generation whose query is not in the table yet gets no verdict
      for (var d : samples) {
        d.generations().forEach(x -> producer.send(g.record(x.getQueryId(), x)));
        d.features().forEach(x -> producer.send(f.record(x.getQueryId(), x)));
      }
      producer.flush();
    }
    if (serve == null) {
      serve = OpenAiServer.start(ModelPack.load(Path.of(System.getProperty("saerl.repo.root", "..")).resolve("models/arith")), 1,
          OpenAiServer.Config.loopback(0));
    }
    try (StreamsService streams = StreamsService.start(topics, client, "e-streams", dir.resolve("streams"),
        new InetSocketAddress("127.0.0.1", 0), StatsConfig.DEFAULTS, false)) {
      streams.awaitRunning(Duration.ofSeconds(60));
      String base = streams.url().replaceAll("/$", "");
      HttpClient http = HttpClient.newHttpClient();
      poll(http, base + "/api/datasets/" + ds, n -> n.get("samples_correct").asInt() + n.get("samples_incorrect").asInt() == 60 * 4);
      JsonNode features = poll(http, base + "/api/datasets/" + ds + "/features?limit=3", n -> n.size() == 3);
      int exit = new CommandLine(new ExamineCommand()).execute("label", "--dataset", ds, "--stats-url", base, "--features", "3",
          "--examiner-url", serve.url(), "--rate", "50", "--bootstrap-servers", stack.bootstrapServers(),
          "--registry-url", stack.registryUrl(), "--topic-prefix", PREFIX);
      assertEquals(0, exit);
      JsonNode labelled = poll(http, base + "/api/datasets/" + ds + "/features?limit=3", n -> n.get(2).has("label"));
      for (int i = 0; i < 3; i++) {
        JsonNode x = labelled.get(i);
        assertEquals(features.get(i).get("feature_id"), x.get("feature_id"));
        assertEquals(serve.model(), x.get("label_model").asText(), x.toString());
        assertEquals(serve.url(), x.get("label_endpoint").asText());
        assertTrue(x.get("label_trials").asInt() >= 2, x.toString());
        double acc = x.get("label_accuracy").asDouble();
        assertTrue(acc >= 0 && acc <= 1, x.toString());
        System.out.println("saerl serve labelled feature " + x.get("feature_id") + ": \"" + x.get("label").asText() + "\" detection "
            + acc + " of " + x.get("label_trials"));
      }
      String report = dev.saerl.app.demo.Report.featureTable(base + "/", ds);
      for (int i = 0; i < 3; i++) {
        JsonNode x = labelled.get(i);
        String shown = String.format(java.util.Locale.ROOT, "%.0f%% of %d; %s)", 100 * x.get("label_accuracy").asDouble(),
            x.get("label_trials").asInt(), serve.model());
        assertTrue(report.contains(shown), "the report shows feature " + x.get("feature_id") + "'s label with " + shown + ": " + report);
      }
    }
  }

  @Test
  void explanationsOfKnownTrainStepsLandKeyedBySampleWithTheirWriterAndNoHeldOutSampleIsShown() throws Exception {
    String ds = "explain";
    var known = SyntheticSamples.generate(ds, dev.saerl.schemas.avro.Split.KNOWN, 3, 2, 1);
    List<SyntheticSamples.QuerySamples> heldOut = new java.util.ArrayList<>();
    for (var split : List.of(dev.saerl.schemas.avro.Split.UNKNOWN, dev.saerl.schemas.avro.Split.KNOWN_VAL,
        dev.saerl.schemas.avro.Split.KNOWN_SELECT_A)) {
      heldOut.addAll(SyntheticSamples.generate(ds, split, 1, 2, 10 + split.ordinal()));
    }
    // a KNOWN record in the UNKNOWN query's group: the group is held out whole
    var unknown = heldOut.getFirst();
    Query claims = Query.newBuilder(known.getFirst().query()).setQueryId("claims-known").setGroupId(unknown.query().getGroupId()).build();
    var claimsGen = dev.saerl.schemas.avro.Generation.newBuilder(known.getFirst().generations().getFirst()).setSampleId("claims-known-s0")
        .setQueryId("claims-known").build();
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(client,
        new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      var q = topics.get(TopicSpecs.QUERIES);
      var g = topics.get(TopicSpecs.GENERATIONS);
      for (var d : known) {
        producer.send(q.record(d.query().getQueryId(), d.query()));
        d.generations().forEach(x -> producer.send(g.record(x.getQueryId(), x)));
      }
      for (var d : heldOut) { // marked, so a prompt that shows any of it is caught
        producer.send(q.record(d.query().getQueryId(), Query.newBuilder(d.query()).setQuestion("HELD-OUT " + d.query().getQuestion()).build()));
        d.generations().forEach(x -> producer.send(g.record(x.getQueryId(), dev.saerl.schemas.avro.Generation.newBuilder(x)
            .setCompletion("HELD-OUT" + x.getCompletion()).setSteps(x.getSteps().stream().map(st -> dev.saerl.schemas.avro.Step
                .newBuilder(st).setText("HELD-OUT " + st.getText()).build()).toList()).build())));
      }
      producer.send(q.record("claims-known", claims));
      producer.send(g.record("claims-known", dev.saerl.schemas.avro.Generation.newBuilder(claimsGen).setCompletion("HELD-OUT claims")
          .setSteps(claimsGen.getSteps().stream().map(st -> dev.saerl.schemas.avro.Step.newBuilder(st).setText("HELD-OUT " + st.getText())
              .build()).toList()).build()));
      producer.flush();
    }
    Function<JsonNode, String> stub = body -> {
      String user = body.at("/messages/0/content").asText();
      String step = user.substring(user.indexOf("Next step: ") + "Next step: ".length());
      var reply = JSON.createObjectNode().put("model", "stub-explainer");
      reply.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", " It explains" + step + " ");
      return reply.toString();
    };
    Set<String> knownSamples = known.stream().flatMap(d -> d.generations().stream()).map(x -> x.getSampleId()).collect(Collectors.toSet());
    try (Endpoint examiner = new Endpoint(stub)) {
      int exit = new CommandLine(new ExamineCommand()).execute("explain", "--dataset", ds, "--samples", "100",
          "--examiner-url", examiner.url().toString(), "--rate", "100", "--bootstrap-servers", stack.bootstrapServers(),
          "--registry-url", stack.registryUrl(), "--topic-prefix", PREFIX);
      assertEquals(0, exit);
      for (String user : examiner.users) {
        assertFalse(user.contains("HELD-OUT"), "a held-out sample reached the examiner: " + user);
      }
      assertEquals(knownSamples.size() * SyntheticSamples.STEPS, examiner.users.size(), "one request per step of each KNOWN-train sample");
      var written = new java.util.HashMap<String, dev.saerl.schemas.avro.StepExplanation>();
      dev.saerl.schemas.topics.TopicSnapshot.read(client, topics.get(TopicSpecs.STEP_EXPLANATIONS), Duration.ofSeconds(30),
          (k, e, ts) -> written.put(k, e));
      assertEquals(knownSamples.size() * SyntheticSamples.STEPS, written.size(), written.keySet().toString());
      for (var e : written.entrySet()) {
        var x = e.getValue();
        assertTrue(knownSamples.contains(x.getSampleId()), x.toString());
        assertEquals(x.getSampleId() + "/" + x.getStepIndex(), e.getKey());
        assertEquals("It explains" + x.getStepText().strip(), x.getExplanation(), "the reply, stripped, for this very step");
        assertEquals("stub-explainer", x.getModel());
        assertEquals(examiner.url().toString(), x.getEndpoint());
      }
    }
  }

  static JsonNode poll(HttpClient http, String url, java.util.function.Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200) {
        JsonNode n = JSON.readTree(r.body());
        if (done.test(n)) {
          return n;
        }
      }
      Thread.sleep(200); // polling a condition with a timeout, not waiting on the clock for a result
    }
    throw new AssertionError(url + " did not reach the condition in 120 s; last: " + last);
  }
}
