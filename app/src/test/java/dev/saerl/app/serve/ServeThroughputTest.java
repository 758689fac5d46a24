package dev.saerl.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.workers.pack.ModelPack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Throughput of {@code saerl serve} on the bundled pack: 32 requests one after another, then the
 * same 32 at once (batched), in one run; prints tokens/s of each and their ratio. A measurement,
 * not an assertion on time (tagged slow: {@code mvn -pl app test -Dtest=ServeThroughputTest -DexcludedGroups=none}).
 */
@Tag("slow")
class ServeThroughputTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int N = 32;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void thirtyTwoConcurrentRequestsAgainstThirtyTwoInSequence() throws Exception {
    ModelPack pack = ModelPack.load(Path.of(System.getProperty("saerl.repo.root", "..")).resolve("models/arith"));
    HttpClient client = HttpClient.newHttpClient();
    try (OpenAiServer server = OpenAiServer.start(pack, 1, OpenAiServer.Config.loopback(0))) {
      List<HttpRequest> requests = new ArrayList<>();
      for (int i = 0; i < N; i++) {
        String body = JSON.createObjectNode().put("prompt", pack.prompt("Ana has " + (10 + i) + " pens. She buys " + (3 + i)
            + " more. Then she gives away 4 pens. How many pens does Ana have now?")).put("max_tokens", 96)
            .put("temperature", 0.8).put("seed", i).toString();
        requests.add(HttpRequest.newBuilder(URI.create(server.url() + "/completions")).timeout(Duration.ofMinutes(5))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build());
      }
      run(client, requests.subList(0, 4), true); // warm-up
      long b0 = server.scheduler().batches();
      double[] seq = run(client, requests, false);
      long b1 = server.scheduler().batches();
      double[] conc = run(client, requests, true);
      long b2 = server.scheduler().batches();
      System.out.printf("serve throughput (%s, %d requests, up to 96 tokens, temperature 0.8): sequential %.0f tokens in %.2f s = %.1f tokens/s"
              + " (%d batches); concurrent %.0f tokens in %.2f s = %.1f tokens/s (%d batches); %.2fx%n", pack.version(), N,
          seq[0], seq[1], seq[0] / seq[1], b1 - b0, conc[0], conc[1], conc[0] / conc[1], b2 - b1, (conc[0] / conc[1]) / (seq[0] / seq[1]));
    }
  }

  /** {completion tokens, seconds}. */
  private static double[] run(HttpClient client, List<HttpRequest> requests, boolean concurrent) throws Exception {
    long t0 = System.nanoTime();
    List<HttpResponse<String>> replies = new ArrayList<>();
    if (concurrent) {
      List<CompletableFuture<HttpResponse<String>>> f = new ArrayList<>();
      requests.forEach(r -> f.add(client.sendAsync(r, HttpResponse.BodyHandlers.ofString())));
      for (CompletableFuture<HttpResponse<String>> x : f) {
        replies.add(x.get(5, TimeUnit.MINUTES));
      }
    } else {
      for (HttpRequest r : requests) {
        replies.add(client.send(r, HttpResponse.BodyHandlers.ofString()));
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double tokens = 0;
    for (HttpResponse<String> r : replies) {
      assertEquals(200, r.statusCode(), r.body());
      tokens += JSON.readTree(r.body()).at("/usage/completion_tokens").asInt();
    }
    return new double[] {tokens, seconds};
  }
}
