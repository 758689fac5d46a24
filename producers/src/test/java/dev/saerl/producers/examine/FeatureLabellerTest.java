package dev.saerl.producers.examine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpServer;
import dev.saerl.schemas.avro.FeatureLabel;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Labels and detection against a stub Streams API (two features: apple steps, pen steps) and a stub examiner. */
class FeatureLabellerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static HttpServer stats;

  @BeforeAll
  static void start() throws Exception {
    stats = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    stats.createContext("/api/datasets/d", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        Object body;
        if (path.equals("/api/datasets/d")) {
          body = JSON.createObjectNode().put("model_version", "m1").put("sae_id", "s1");
        } else if (path.equals("/api/datasets/d/features")) {
          ArrayNode a = JSON.createArrayNode();
          a.addObject().put("feature_id", 1);
          a.addObject().put("feature_id", 2);
          body = a;
        } else {
          String thing = path.endsWith("/1") ? "apples" : "pens";
          var f = JSON.createObjectNode();
          ArrayNode ex = f.putArray("examples");
          for (int i = 0; i < 6; i++) {
            ex.addObject().put("text", "Step " + i + ": count the " + thing + ".").put("activation", 10 - i);
          }
          ex.addObject().put("text", "Step 0: count the " + thing + ".").put("activation", 1); // a repeat is one step
          body = f;
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    });
    stats.start();
  }

  @AfterAll
  static void stop() {
    stats.stop(0);
  }

  static FeatureLabeller.Summary run(StubExaminer examiner, List<FeatureLabel> published) throws Exception {
    var config = new ExaminerClient.Config(examiner.url(), null, null, 1000, Duration.ofSeconds(10), Duration.ofSeconds(30), 1,
        Duration.ofMillis(10));
    try (ExaminerClient client = new ExaminerClient(config)) {
      URI url = URI.create("http://127.0.0.1:" + stats.getAddress().getPort());
      return new FeatureLabeller(client, new FeatureLabeller.Settings(url, null, 1, 4, 7), published::add).run("d");
    }
  }

  static final Function<StubExaminer.Seen, StubExaminer.Answer> APPLES = s -> StubExaminer.Answer.ok(
      s.user().startsWith("Here are steps") ? "counting apples" : s.user().contains("apples.") ? "Yes." : "No");

  @Test
  void aLabelThatPicksOutItsStepsDetectsAllOfThemAndAlwaysYesScoresChance() throws Exception {
    List<FeatureLabel> published = new ArrayList<>();
    try (StubExaminer examiner = new StubExaminer(APPLES)) {
      FeatureLabeller.Summary s = run(examiner, published);
      FeatureLabel l = s.labels().getFirst();
      assertEquals(published, s.labels());
      assertEquals("counting apples", l.getLabel());
      assertEquals(1, l.getFeatureId());
      assertEquals("m1", l.getModelVersion());
      assertEquals(3, l.getLabelSteps(), "6 distinct steps: 3 shown, 3 held out");
      assertEquals(6, l.getDetectionTrials(), "3 held-out steps and 3 of the other feature's");
      assertEquals(1.0, l.getDetectionAccuracy());
      assertEquals("stub-model", l.getModel());
      assertEquals(examiner.url().toString(), l.getEndpoint());
    }
    try (StubExaminer yes = new StubExaminer(s -> StubExaminer.Answer.ok(s.user().startsWith("Here are steps") ? "things" : "yes"))) {
      assertEquals(0.5, run(yes, new ArrayList<>()).labels().getFirst().getDetectionAccuracy(), "always yes is chance");
    }
    try (StubExaminer sums = new StubExaminer(s -> StubExaminer.Answer.ok("3 + 4 = 7. The answer is 7."))) {
      FeatureLabeller.Summary s = run(sums, new ArrayList<>());
      assertEquals(0.0, s.labels().getFirst().getDetectionAccuracy(), "a reply that is neither yes nor no is wrong");
      assertEquals(6, s.unparsed());
    }
  }

  @Test
  void theHeldOutStepsAreNotShownWhenTheLabelIsWritten() throws Exception {
    try (StubExaminer examiner = new StubExaminer(APPLES)) {
      run(examiner, new ArrayList<>());
      String labelPrompt = examiner.seen().getFirst().user();
      List<String> detected = examiner.seen().subList(1, examiner.seen().size()).stream().map(StubExaminer.Seen::user).toList();
      for (int i = 1; i < 6; i += 2) {
        String heldOut = "Step " + i + ": count the apples.";
        assertFalse(labelPrompt.contains(heldOut), heldOut + " was shown:\n" + labelPrompt);
        assertTrue(detected.stream().anyMatch(d -> d.contains(heldOut)), heldOut + " was not judged");
      }
      assertTrue(labelPrompt.contains("Step 0: count the apples."));
    }
  }
}
