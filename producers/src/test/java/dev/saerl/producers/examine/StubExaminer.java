package dev.saerl.producers.examine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A tiny OpenAI-shaped chat endpoint on a loopback port for tests: {@code answer} maps each request (its last
 * user message and its headers) to a status and a reply text; every request is recorded.
 */
public final class StubExaminer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the stub answers: a status, the content for a 200, and a Retry-After value or null. */
  public record Answer(int status, String content, String retryAfter) {
    public static Answer ok(String content) {
      return new Answer(200, content, null);
    }

    public static Answer status(int status) {
      return new Answer(status, null, null);
    }
  }

  /** One request as received. */
  public record Seen(String user, String authorization, long nanos) {}

  private final HttpServer server;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  public StubExaminer(Function<Seen, Answer> answer) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/chat/completions", exchange -> {
      try (exchange) {
        JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
        JsonNode messages = body.get("messages");
        Seen s = new Seen(messages.get(messages.size() - 1).get("content").asText(),
            exchange.getRequestHeaders().getFirst("Authorization"), System.nanoTime());
        seen.add(s);
        Answer a = answer.apply(s);
        if (a.status() != 200) {
          if (a.retryAfter() != null) {
            exchange.getResponseHeaders().add("Retry-After", a.retryAfter());
          }
          send(exchange, a.status(), "{\"error\":{\"message\":\"stub " + a.status() + "\"}}");
          return;
        }
        var reply = JSON.createObjectNode().put("object", "chat.completion").put("model", "stub-model");
        reply.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putObject("message")
            .put("role", "assistant").put("content", a.content());
        send(exchange, 200, reply.toString());
      }
    });
    server.start();
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
  }

  public List<Seen> seen() {
    return seen;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
