package dev.saerl.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.avro.VersionKind;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.pack.Adapter;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelVersions;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code saerl serve} reading the cluster's topics: versions announced on model-versions while the
 * server runs are served by version id on their own packs (versions of other methods are not), and
 * requests name steering plans from steering-plans.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServeTopicsTest {
  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static HttpSchemaRegistry registry;
  static Topics topics;
  static Properties client;
  static ModelPack base;

  @BeforeAll
  static void start() {
    base = ModelPack.load(Path.of(System.getProperty("saerl.repo.root", "..")).resolve("models/arith"));
    stack = EmbeddedStack.start(dir.resolve("data"), "sv.");
    registry = new HttpSchemaRegistry(stack.registryUrl());
    topics = new Topics("sv.", registry);
    client = new Properties();
    client.put("bootstrap.servers", stack.bootstrapServers());
  }

  @AfterAll
  static void stop() {
    registry.close();
    stack.close();
  }

  static ObjectNode question() {
    return ServeTest.JSON.createObjectNode().put("prompt", base.prompt(ServeTest.QUESTIONS.get(0))).put("max_tokens", 80)
        .put("temperature", 0);
  }

  /** Publishes a plan under its dataset's key, as the Streams app does. */
  static void publish(SteeringPlan p) throws Exception {
    try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(topics.get(TopicSpecs.STEERING_PLANS).record(p.getDataset(), p)).get();
    }
  }

  static SteeringPlan plan(String version, int feature, float coefficient) {
    return SteeringPlan.newBuilder().setPlanVersion(version).setDataset("arith").setVariant("default")
        .setModelVersion(base.version()).setSaeId(base.sae().id()).setHookLayer(base.hookLayer())
        .setFeatureIds(List.of(feature)).setCoefficients(List.of(coefficient)).setScores(List.of(1f)).setSamplesUsed(10).build();
  }

  static ObjectNode withPlan(ObjectNode body, String field, String value, double strength) {
    ObjectNode out = body.deepCopy();
    out.putObject("saerl").putObject("plan").put(field, value).put("strength", strength);
    return out;
  }

  @Test
  void requestsNameAPlanByVersionOrAsTheDatasetsCurrentOne() throws Exception {
    try (OpenAiServer server = OpenAiServer.start(base, 1, OpenAiServer.Config.loopback(0))) {
      ObjectNode body = question();
      String plain = text(server, body);
      ObjectNode asking = body.deepCopy();
      asking.putObject("saerl").putObject("plan").put("version", "plan-none");
      HttpResponse<String> unread = ServeTest.send(server, "/completions", asking.toString());
      assertEquals(400, unread.statusCode(), "a server started without --plans refuses a plan: " + unread.body());
      assertTrue(unread.body().contains("--plans"), unread.body());

      int feature = strongestFeature(server, body);
      publish(plan("plan-test-1", feature, 30f));
      server.readPlans(client, topics.get(TopicSpecs.STEERING_PLANS));
      String one = text(server, withPlan(body, "version", "plan-test-1", 1));
      assertNotEquals(plain, one, "the plan changes the reply");
      assertEquals(one, text(server, withPlan(body, "dataset", "arith", 1)), "it is the dataset's current plan");
      assertEquals(plain, text(server, withPlan(body, "version", "plan-test-1", 0)), "at strength 0 it is the plain model");

      publish(plan("plan-test-2", feature, -30f));
      String two = text(server, withPlan(body, "version", "plan-test-2", 1));
      assertNotEquals(one, two, "a plan of the opposite sign steers elsewhere");
      assertEquals(two, text(server, withPlan(body, "dataset", "arith", 1)), "the newest record is the dataset's current plan");
      assertEquals(one, text(server, withPlan(body, "version", "plan-test-1", 1)), "an older plan stays reachable by its version");

      HttpResponse<String> unknown = ServeTest.send(server, "/completions", withPlan(body, "version", "plan-nope", 1).toString());
      assertEquals(400, unknown.statusCode());
      assertTrue(unknown.body().contains("saerl.plan.version"), unknown.body());
    }
  }

  @Test
  void anAnnouncedVersionIsServedUnderItsIdOnItsOwnPack() throws Exception {
    try (OpenAiServer server = OpenAiServer.start(base, 1, OpenAiServer.Config.loopback(0))) {
      server.models().follow(client, topics.get(TopicSpecs.MODEL_VERSIONS), Set.of("feature-rl"), Duration.ofMillis(200));

      ObjectNode body = question();
      int feature = strongestFeature(server, body);
      // the version's adapter is feature `feature`'s decoder row x 40: what a nudge of 40 adds
      JavaSparseAutoencoder sae = new JavaSparseAutoencoder(base);
      float[] row = sae.decode(new SparseCodes(new int[] {feature}, new float[] {1f}));
      float[] bias = sae.decode(new SparseCodes(new int[0], new float[0]));
      float[] vector = new float[row.length];
      for (int j = 0; j < row.length; j++) {
        vector[j] = 40 * (row[j] - bias[j]);
      }
      ModelPack v2 = base.withAdapter(dir.resolve("packs/v2"), "arith-serve-v2", new Adapter("feature-rl", List.of(), List.of(), vector));
      ModelPack star = base.withAdapter(dir.resolve("packs/star"), "arith-serve-star",
          new Adapter("star", List.of(), List.of(), new float[row.length]));
      try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (var v : List.of(ModelVersions.of(v2, VersionKind.ADAPTER, "feature-rl", null, 0),
            ModelVersions.of(star, VersionKind.WEIGHTS, "star", null, 0))) {
          producer.send(topics.get(TopicSpecs.MODEL_VERSIONS).record(v.getVersion(), v)).get();
        }
      }
      List<String> ids = List.of();
      for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
           !ids.contains("arith-serve-v2") && System.nanoTime() < deadline; Thread.sleep(200)) {
        ids = modelIds(server);
      }
      assertTrue(ids.contains("arith-serve-v2"), "the announced version is listed: " + ids);
      assertEquals(base.version(), ids.get(0), "the served pack first");
      assertFalse(ids.contains("arith-serve-star"), "a method not followed is not served: " + ids);

      String plain = text(server, body);
      ObjectNode asV2 = body.deepCopy().put("model", "arith-serve-v2");
      JsonNode reply = ok(server, asV2);
      assertEquals("arith-serve-v2", reply.get("model").asText());
      String steered = reply.at("/choices/0/text").asText();
      assertNotEquals(plain, steered, "the version's adapter changes the reply");
      ObjectNode nudged = body.deepCopy();
      nudged.putObject("saerl").putArray("edits").addObject().put("feature", feature).put("value", 40).put("mode", "nudge");
      assertEquals(text(server, nudged), steered, "the version's reply is the base pack's with the same vector added");
      assertEquals(plain, text(server, body.deepCopy().put("model", base.version())), "the base is still served by its id");
    }
  }

  private static List<String> modelIds(OpenAiServer server) throws Exception {
    var r = ServeTest.CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + "/models")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    List<String> ids = new ArrayList<>();
    ServeTest.JSON.readTree(r.body()).get("data").forEach(m -> ids.add(m.get("id").asText()));
    return ids;
  }

  private static JsonNode ok(OpenAiServer server, JsonNode body) throws Exception {
    HttpResponse<String> r = ServeTest.send(server, "/completions", body.toString());
    assertEquals(200, r.statusCode(), r.body());
    return ServeTest.JSON.readTree(r.body());
  }

  private static String text(OpenAiServer server, JsonNode body) throws Exception {
    return ok(server, body).at("/choices/0/text").asText();
  }

  private static int strongestFeature(OpenAiServer server, ObjectNode body) throws Exception {
    ObjectNode asking = body.deepCopy();
    asking.putObject("saerl").put("return_features", true);
    return ok(server, asking).at("/saerl/features/0/ids/0").asInt();
  }
}
