package dev.saerl.app.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.saerl.app.cli.IngestCommand;
import dev.saerl.app.config.SaerlConfig;
import dev.saerl.app.embedded.EmbeddedStack;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Registry credentials from saerl's settings, end to end: the real embedded registry behind a
 * loopback gate that demands a bearer token (Apicurio's own authentication needs an OIDC provider,
 * which this machine cannot run), and {@code saerl ingest} configured with the token in a file.
 */
@Tag("integration")
class RegistryAuthTest {
  private static final String TOKEN = "reg-token-7f3a";

  @TempDir
  Path dir;

  @Test
  void ingestAuthenticatesWithATokenFromAFileAndAWrongTokenIsAClearErrorAskedOnce() throws Exception {
    Path dataset = dir.resolve("few.jsonl");
    List<String> rows = Files.readAllLines(Path.of("../datasets/arith.jsonl")).subList(0, 9);
    Files.write(dataset, rows);
    String prefix = "auth" + System.nanoTime() % 100000 + ".";
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("stack"), prefix)) {
      Gate gate = Gate.start(URI.create(stack.registryUrl()), "Bearer " + TOKEN);
      try {
        Path token = dir.resolve("token");
        Files.writeString(token, TOKEN + "\n");
        Path config = config("good.properties", stack.bootstrapServers(), gate.url(), prefix, "registry.auth.token.file=" + token);
        assertEquals(0, ingest(config, dataset, new StringWriter()));
        assertTrue(gate.admitted.get() > 0, "the registry was asked through the gate");
        assertEquals(0, gate.refused.get(), "every call carried the token");
        assertEquals(rows.size(), records(stack.bootstrapServers(), prefix + "queries"), "every row was published");

        Files.writeString(token, "not-the-token\n");
        StringWriter err = new StringWriter();
        assertNotEquals(0, ingest(config, dataset, err));
        assertEquals(1, gate.refused.get(), "a refusal is not retried");
        assertTrue(err.toString().contains("HTTP 401") && err.toString().contains("credentials sent: bearer token"), err.toString());
        assertFalse(err.toString().contains("not-the-token"), "the token is never printed");

        Path none = config("none.properties", stack.bootstrapServers(), gate.url(), prefix, "");
        StringWriter bare = new StringWriter();
        assertNotEquals(0, ingest(none, dataset, bare));
        assertTrue(bare.toString().contains("no credentials were sent") && bare.toString().contains("registry.auth.token"),
            bare.toString());
      } finally {
        gate.server.stop(0);
      }
    }
  }

  @Test
  void settingsGiveBasicOrBearerCredentialsHideThemAndRefuseHalfGivenOnes() throws IOException {
    Path password = dir.resolve("password");
    Files.writeString(password, "pw-9q\n");
    SaerlConfig basic = SaerlConfig.resolve(null, Map.of("SAERL_REGISTRY_AUTH_USERNAME", "alice"),
        Map.of("registry.auth.password.file", password.toString()));
    assertEquals("basic, user alice", basic.registryAuth().toString());
    SaerlConfig bearer = SaerlConfig.resolve(null, Map.of("SAERL_REGISTRY_AUTH_TOKEN", "tok-55"), Map.of());
    assertEquals("bearer token", bearer.registryAuth().toString());
    assertFalse(bearer.toString().contains("tok-55"), "the token is hidden: " + bearer);
    assertEquals("none", SaerlConfig.resolve(null, Map.of(), Map.of()).registryAuth().toString());

    var noPassword = assertThrows(IllegalArgumentException.class,
        () -> SaerlConfig.resolve(null, Map.of(), Map.of("registry.auth.username", "alice")).registryAuth());
    assertTrue(noPassword.getMessage().contains("registry.auth.password"), noPassword.getMessage());
    var both = assertThrows(IllegalArgumentException.class, () -> SaerlConfig.resolve(null, Map.of(),
        Map.of("registry.auth.username", "alice", "registry.auth.password", "x", "registry.auth.token", "t")).registryAuth());
    assertTrue(both.getMessage().contains("not both"), both.getMessage());
    var orphan = assertThrows(IllegalArgumentException.class,
        () -> SaerlConfig.resolve(null, Map.of(), Map.of("registry.auth.password", "x")).registryAuth());
    assertTrue(orphan.getMessage().contains("without registry.auth.username"), orphan.getMessage());
  }

  private Path config(String name, String bootstrap, String registry, String prefix, String auth) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, String.join("\n", "bootstrap.servers=" + bootstrap, "registry.url=" + registry,
        "topic.prefix=" + prefix, auth) + "\n");
    return f;
  }

  private static int ingest(Path config, Path dataset, StringWriter err) {
    CommandLine cli = new CommandLine(new IngestCommand());
    cli.setErr(new PrintWriter(err, true));
    return cli.execute("--config", config.toString(), "--dataset", "authds", dataset.toString());
  }

  private static long records(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList());
      return c.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** A loopback HTTP gate: forwards to the registry what carries the expected Authorization header, else 401. */
  private static final class Gate {
    final HttpServer server;
    final AtomicInteger admitted = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    private final URI target;
    private final String expected;
    private final HttpClient http = HttpClient.newHttpClient();

    private Gate(HttpServer server, URI target, String expected) {
      this.server = server;
      this.target = target;
      this.expected = expected;
    }

    static Gate start(URI target, String expected) throws IOException {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      Gate gate = new Gate(server, target, expected);
      server.createContext("/", gate::handle);
      server.start();
      return gate;
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + target.getPath();
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
          refused.incrementAndGet();
          send(ex, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
          return;
        }
        admitted.incrementAndGet();
        URI uri = target.resolve(ex.getRequestURI().getRawPath()
            + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
        byte[] body = ex.getRequestBody().readAllBytes();
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
            .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String h : List.of("Content-Type", "Accept")) {
          String v = ex.getRequestHeaders().getFirst(h);
          if (v != null) {
            req.header(h, v);
          }
        }
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        send(ex, r.statusCode(), r.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, b.length);
      ex.getResponseBody().write(b);
    }
  }
}
