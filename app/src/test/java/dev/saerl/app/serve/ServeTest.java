package dev.saerl.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.workers.pack.ModelPack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code saerl serve} on the bundled arithmetic pack, through a real HTTP client on a loopback port. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServeTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Duration WAIT = Duration.ofSeconds(90);
  static final List<String> QUESTIONS = List.of(
      "Mia has 12 apples. She buys 30 more. How many apples does Mia have now?",
      "Zoe starts with 8 pens. Then she finds 5 more pens. Then she loses 2 pens. How many pens does Zoe have in the end?",
      "There are 250 coins in Ben's box. 17 coins are taken out of the box. How many coins are in the box now?",
      "A farmer has 17 cows and buys 25 more. How many cows does the farmer have now?");
  static ModelPack pack;
  static OpenAiServer server;
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    pack = ModelPack.load(Path.of(System.getProperty("saerl.repo.root", "..")).resolve("models/arith"));
    server = OpenAiServer.start(pack, 1, OpenAiServer.Config.loopback(0));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String prompt(int question) {
    return pack.prompt(QUESTIONS.get(question));
  }

  static ObjectNode completion(int question, int maxTokens) {
    return JSON.createObjectNode().put("model", server.model()).put("prompt", prompt(question)).put("max_tokens", maxTokens)
        .put("temperature", 0);
  }

  static HttpRequest post(OpenAiServer s, String path, String body) {
    return HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(WAIT).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  static HttpResponse<String> send(OpenAiServer s, String path, String body) throws Exception {
    return CLIENT.send(post(s, path, body), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode ok(String path, JsonNode body) throws Exception {
    HttpResponse<String> r = send(server, path, body.toString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  static String text(JsonNode body) throws Exception {
    return ok("/completions", body).at("/choices/0/text").asText();
  }

  @Test
  void aPlainCompletionAnswersInTheOpenAiShape() throws Exception {
    JsonNode r = ok("/completions", completion(0, 80));
    assertEquals("text_completion", r.get("object").asText());
    assertEquals(server.model(), r.get("model").asText());
    String text = r.at("/choices/0/text").asText();
    assertTrue(text.contains("42"), "the bundled model adds 12 and 30: " + text);
    assertEquals("stop", r.at("/choices/0/finish_reason").asText(), "the pack's stop string (a newline) ends the reply");
    assertTrue(r.at("/usage/completion_tokens").asInt() > 0 && r.at("/usage/prompt_tokens").asInt() > 0, r.toString());

    JsonNode models = JSON.readTree(CLIENT.send(HttpRequest.newBuilder(URI.create(server.url() + "/models")).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    assertEquals(server.model(), models.at("/data/0/id").asText());
  }

  @Test
  void aShortMaxTokensEndsTheReplyWithFinishReasonLength() throws Exception {
    JsonNode r = ok("/completions", completion(0, 3));
    assertEquals("length", r.at("/choices/0/finish_reason").asText());
    assertEquals(3, r.at("/usage/completion_tokens").asInt());
  }

  @Test
  void theSameGreedyRequestGivesTheSameTextTwice() throws Exception {
    for (int question = 1; question < 3; question++) {
      String first = text(completion(question, 80).put("seed", 0));
      assertTrue(!first.isEmpty());
      for (int seed = 1; seed < 6; seed++) {
        assertEquals(first, text(completion(question, 80).put("seed", seed)), "temperature 0 ignores the seed: seed " + seed);
      }
    }
  }

  @Test
  void aSeedReproducesASampledReplyAndOtherSeedsVary() throws Exception {
    ObjectNode sampled = completion(2, 80).put("temperature", 1.5).put("seed", 7);
    assertEquals(text(sampled), text(sampled.deepCopy()));
    Set<String> texts = new HashSet<>();
    for (int seed = 0; seed < 6; seed++) {
      texts.add(text(sampled.deepCopy().put("seed", seed)));
    }
    assertTrue(texts.size() > 1, "six seeds at temperature 1.5 all gave " + texts);
  }

  @Test
  void aStopStringEndsTheReplyJustBeforeIt() throws Exception {
    String whole = text(completion(0, 80));
    String stop = whole.substring(6, 8);
    JsonNode r = ok("/completions", completion(0, 80).put("stop", stop));
    assertEquals(whole.substring(0, whole.indexOf(stop)), r.at("/choices/0/text").asText(), "stop " + stop);
    assertEquals("stop", r.at("/choices/0/finish_reason").asText());
    assertTrue(r.at("/usage/completion_tokens").asInt() <= whole.indexOf(stop) + 1, r.toString());
  }

  @Test
  void streamedCompletionChunksJoinToTheWholeReply() throws Exception {
    ObjectNode body = completion(3, 80).put("temperature", 0.8).put("seed", 3);
    String whole = text(body);
    List<JsonNode> chunks = stream("/completions", body.deepCopy().put("stream", true));
    StringBuilder joined = new StringBuilder();
    chunks.forEach(c -> joined.append(c.at("/choices/0/text").asText()));
    assertEquals(whole, joined.toString());
    assertTrue(chunks.size() > 3, "the reply came in " + chunks.size() + " chunks, not token by token");
    assertEquals("stop", chunks.getLast().at("/choices/0/finish_reason").asText());
  }

  @Test
  void streamedChatChunksJoinToTheWholeReplyAlsoWithAStopString() throws Exception {
    String whole = text(completion(0, 80));
    String stop = whole.substring(10, 13); // held back while it might be a stop string, cut once it is
    ObjectNode chat = JSON.createObjectNode().put("temperature", 0).put("max_tokens", 80).put("stop", stop);
    chat.putArray("messages").addObject().put("role", "user").put("content", QUESTIONS.get(0));
    JsonNode plain = ok("/chat/completions", chat);
    assertEquals("chat.completion", plain.get("object").asText());
    assertEquals(whole.substring(0, whole.indexOf(stop)), plain.at("/choices/0/message/content").asText());
    List<JsonNode> chunks = stream("/chat/completions", chat.deepCopy().put("stream", true));
    StringBuilder joined = new StringBuilder();
    chunks.forEach(c -> joined.append(c.at("/choices/0/delta/content").asText("")));
    assertEquals(plain.at("/choices/0/message/content").asText(), joined.toString());
    assertEquals("assistant", chunks.getFirst().at("/choices/0/delta/role").asText());
    assertEquals("chat.completion.chunk", chunks.getFirst().get("object").asText());
  }

  /** The data events of a streamed reply, which must end with data: [DONE]. */
  static List<JsonNode> stream(String path, JsonNode body) throws Exception {
    HttpResponse<String> r = send(server, path, body.toString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    List<JsonNode> out = new ArrayList<>();
    List<String> events = List.of(r.body().split("\n\n"));
    assertEquals("data: [DONE]", events.getLast(), r.body());
    for (String e : events.subList(0, events.size() - 1)) {
      assertTrue(e.startsWith("data: "), e);
      JsonNode chunk = JSON.readTree(e.substring(6));
      assertTrue(!chunk.has("error"), chunk.toString());
      out.add(chunk);
    }
    return out;
  }

  /** The strongest hook-layer feature at the reply's first token, from the server's own return_features. */
  static int activeFeature(ObjectNode body) throws Exception {
    ObjectNode asking = body.deepCopy();
    asking.putObject("saerl").put("return_features", true);
    JsonNode r = ok("/completions", asking);
    JsonNode first = r.at("/saerl/features/0");
    assertTrue(first.get("ids").size() > 0, r.toString());
    assertTrue(first.at("/activations/0").floatValue() >= first.at("/activations/1").floatValue(), "strongest first");
    return first.at("/ids/0").asInt();
  }

  static ObjectNode edited(ObjectNode body, int feature, double value, String mode) {
    ObjectNode out = body.deepCopy();
    out.putObject("saerl").putArray("edits").addObject().put("feature", feature).put("value", value).put("mode", mode);
    return out;
  }

  @Test
  void aLargeNudgeChangesTheReplyAndAZeroNudgeDoesNot() throws Exception {
    ObjectNode body = completion(0, 80);
    String plain = text(body);
    int feature = activeFeature(body);
    assertNotEquals(plain, text(edited(body, feature, 40, "nudge")), "nudging feature " + feature + " by 40");
    assertEquals(plain, text(edited(body, feature, 0, "nudge")), "a zero nudge is the plain model");
  }

  @Test
  void aConditionalEditAppliesOnlyWhereItsFeatureIsAboveItsLevel() throws Exception {
    ObjectNode body = completion(0, 80);
    String plain = text(body);
    int feature = activeFeature(body);
    ObjectNode never = edited(body, feature, 40, "nudge");
    ((ObjectNode) never.at("/saerl/edits/0")).putObject("when").put("feature", feature).put("above", 1e9);
    assertEquals(plain, text(never), "a condition that never holds leaves the model alone");
    ObjectNode always = edited(body, feature, 40, "nudge");
    ((ObjectNode) always.at("/saerl/edits/0")).putObject("when").put("feature", feature).put("above", -1);
    String steered = text(always);
    assertNotEquals(plain, steered, "a condition that always holds (activations are >= 0) edits every position");
    assertEquals(text(edited(body, feature, 40, "nudge")), steered, "and is the unconditional nudge");
  }

  @Test
  void pinningAFeatureChangesTheReply() throws Exception {
    ObjectNode body = completion(0, 80);
    String plain = text(body);
    int feature = activeFeature(body);
    assertNotEquals(plain, text(edited(body, feature, 40, "pin")), "pinning feature " + feature + " at 40");
  }

  @Test
  void thirtyTwoConcurrentRequestsAllSucceedInFewerBatches() throws Exception {
    List<ObjectNode> bodies = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      bodies.add(i % 2 == 0 ? completion(i % QUESTIONS.size(), 80)
          : completion(i % QUESTIONS.size(), 40 + i).put("temperature", 0.9).put("seed", i)); // rows of one batch differ
    }
    long batchesBefore = server.scheduler().batches();
    long rowsBefore = server.scheduler().rows();
    List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
    for (ObjectNode b : bodies) {
      replies.add(CLIENT.sendAsync(post(server, "/completions", b.toString()), HttpResponse.BodyHandlers.ofString()));
    }
    CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long batches = server.scheduler().batches() - batchesBefore;
    assertEquals(32, server.scheduler().rows() - rowsBefore);
    assertTrue(batches < 32, "32 concurrent requests ran in " + batches + " batches");
    for (int i = 0; i < 32; i++) {
      HttpResponse<String> r = replies.get(i).get();
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(text(bodies.get(i)), JSON.readTree(r.body()).at("/choices/0/text").asText(),
          "request " + i + " alone gives what it gave in a batch");
    }
  }

  @Test
  void aFullQueueAnswers429() throws Exception {
    try (OpenAiServer small = OpenAiServer.start(pack, 1, OpenAiServer.Config.loopback(0).withQueue(1, 1))) {
      List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        replies.add(CLIENT.sendAsync(post(small, "/completions", completion(i % 4, 80).toString()), HttpResponse.BodyHandlers.ofString()));
      }
      CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> f : replies) {
        HttpResponse<String> r = f.get();
        if (r.statusCode() == 429) {
          refused++;
          assertEquals("rate_limit_error", JSON.readTree(r.body()).at("/error/type").asText());
        } else {
          assertEquals(200, r.statusCode(), r.body());
        }
      }
      assertTrue(refused > 0 && refused < 24, refused + " of 24 refused");
    }
  }

  @Test
  void withATokenRequestsWithoutItAre401() throws Exception {
    try (OpenAiServer guarded = OpenAiServer.start(pack, 1, OpenAiServer.Config.loopback(0).withToken("s3cret"))) {
      String body = completion(0, 8).toString();
      assertEquals(401, send(guarded, "/completions", body).statusCode());
      HttpRequest wrong = HttpRequest.newBuilder(URI.create(guarded.url() + "/completions")).timeout(WAIT)
          .header("Authorization", "Bearer nope").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      assertEquals(401, CLIENT.send(wrong, HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpRequest models = HttpRequest.newBuilder(URI.create(guarded.url() + "/models")).timeout(WAIT).build();
      assertEquals(401, CLIENT.send(models, HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpRequest right = HttpRequest.newBuilder(URI.create(guarded.url() + "/completions")).timeout(WAIT)
          .header("Authorization", "Bearer s3cret").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      assertEquals(200, CLIENT.send(right, HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"prompt\": \"Q: 1\" |                                                            | not valid JSON",
      "[1, 2] |                                                                           | JSON object",
      "{\"max_tokens\": 5} | prompt | required",
      "{\"prompt\": 5} | prompt | string",
      "{\"prompt\": \"x\", \"max_tokens\": \"ten\"} | max_tokens | integer",
      "{\"prompt\": \"x\", \"max_tokens\": 0} | max_tokens | at least 1",
      "{\"prompt\": \"x\", \"temperature\": \"hot\"} | temperature | number",
      "{\"prompt\": \"x\", \"seed\": 1.5} | seed | integer",
      "{\"prompt\": \"x\", \"stop\": [1]} | stop[0] | string",
      "{\"prompt\": \"x\", \"stream\": \"yes\"} | stream | true or false",
      "{\"prompt\": \"x\", \"saerl\": {\"edits\": [{\"feature\": 99999, \"value\": 4}]}} | saerl.edits[0].feature | no feature 99999",
      "{\"prompt\": \"x\", \"saerl\": {\"edits\": [{\"feature\": \"a\", \"value\": 4}]}} | saerl.edits[0].feature | integer",
      "{\"prompt\": \"x\", \"saerl\": {\"edits\": [{\"feature\": 3, \"value\": 4, \"mode\": \"push\"}]}} | saerl.edits[0].mode | nudge",
      "{\"prompt\": \"x\", \"saerl\": {\"edits\": [{\"feature\": 3, \"value\": 4, \"when\": 5}]}} | saerl.edits[0].when | {feature, above}",
      "{\"prompt\": \"x\", \"saerl\": {\"edits\": [{\"feature\": 3, \"value\": 4, \"when\": {\"feature\": 3}}]}} | saerl.edits[0].when.above | number",
      "{\"prompt\": \"x\", \"saerl\": {\"edit\": []}} | saerl.edit | unknown field",
      "{\"prompt\": \"x\", \"saerl\": {\"return_features\": 1}} | saerl.return_features | true or false"})
  void aBadCompletionRequestIs400NamingTheField(String body, String param, String says) throws Exception {
    HttpResponse<String> r = send(server, "/completions", body);
    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertEquals(param == null ? "" : param, error.path("param").asText(""), r.body());
    assertTrue(error.get("message").asText().contains(says), r.body());
    assertEquals("invalid_request_error", error.get("type").asText());
  }

  @Test
  void aBadChatRequestIs400NamingTheFieldAndAnUnknownModel404() throws Exception {
    JsonNode noMessages = JSON.readTree(send(server, "/chat/completions", "{\"max_tokens\": 5}").body());
    assertEquals("messages", noMessages.at("/error/param").asText());
    HttpResponse<String> badRole = send(server, "/chat/completions", "{\"messages\": [{\"role\": 1, \"content\": \"x\"}]}");
    assertEquals(400, badRole.statusCode());
    assertEquals("messages[0].role", JSON.readTree(badRole.body()).at("/error/param").asText());
    HttpResponse<String> model = send(server, "/completions", "{\"prompt\": \"x\", \"model\": \"gpt-4\"}");
    assertEquals(404, model.statusCode());
    assertEquals("model", JSON.readTree(model.body()).at("/error/param").asText());
  }
}
