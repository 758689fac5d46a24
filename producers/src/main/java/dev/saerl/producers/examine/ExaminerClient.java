package dev.saerl.producers.examine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * An EXAMINER: any OpenAI-compatible chat endpoint ({@code POST {base}/chat/completions}), {@code saerl serve}
 * included. Requests are spaced to at most {@link Config#requestsPerSecond()}; a 429, a 5xx or an I/O error is
 * retried with exponential backoff (doubling from {@link Config#initialBackoff()}, or the server's Retry-After
 * when it sends one), any other 4xx is not; nothing waits past {@link Config#deadline()}, counted from
 * construction. Every {@link Reply} names the endpoint and the model that wrote it. Thread-safe.
 */
public final class ExaminerClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the examiner is and how patiently to ask it; {@code model} may be null (the endpoint's default). */
  public record Config(URI baseUrl, String model, String apiKey, double requestsPerSecond, Duration requestTimeout,
                       Duration deadline, int maxAttempts, Duration initialBackoff) {
    public Config {
      if (baseUrl == null || baseUrl.getScheme() == null || !baseUrl.getScheme().startsWith("http")) {
        throw new IllegalArgumentException("examiner base URL must be http(s)://...: " + baseUrl);
      }
      if (!(requestsPerSecond > 0)) {
        throw new IllegalArgumentException("examiner rate must be > 0 requests/s: " + requestsPerSecond);
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("examiner attempts must be >= 1: " + maxAttempts);
      }
      if (requestTimeout.isNegative() || requestTimeout.isZero() || deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("examiner timeout and deadline must be positive: " + requestTimeout + ", " + deadline);
      }
      String s = baseUrl.toString();
      baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    public static Config of(URI baseUrl, String model) {
      return new Config(baseUrl, model, null, 4, Duration.ofSeconds(60), Duration.ofMinutes(10), 5, Duration.ofMillis(500));
    }
  }

  /** One examiner answer: its text and who wrote it. */
  public record Reply(String text, String endpoint, String model, int attempts) {}

  /** The examiner could not answer: a refused request, too many failures, or the deadline. */
  public static final class ExaminerException extends IOException {
    private final boolean deadline;

    ExaminerException(String message, boolean deadline) {
      super(message);
      this.deadline = deadline;
    }

    /** True when the run's deadline, not the endpoint, ended the attempt: later requests would fail too. */
    public boolean deadline() {
      return deadline;
    }
  }

  private final Config config;
  private final HttpClient http;
  private final long deadlineNanos;
  private final long spacingNanos;
  private long nextSlot;

  public ExaminerClient(Config config) {
    this.config = config;
    this.http = HttpClient.newBuilder().connectTimeout(config.requestTimeout()).build();
    long now = System.nanoTime();
    this.deadlineNanos = now + config.deadline().toNanos();
    this.spacingNanos = (long) (1e9 / config.requestsPerSecond());
    this.nextSlot = now;
  }

  public Config config() {
    return config;
  }

  /** True once the run's deadline has passed. */
  public boolean pastDeadline() {
    return System.nanoTime() >= deadlineNanos;
  }

  /** Asks the examiner one user message; {@code seed} is sent for endpoints that honour it. */
  public Reply chat(String user, double temperature, int maxTokens, long seed) throws ExaminerException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    if (config.model() != null) {
      body.put("model", config.model());
    }
    body.putArray("messages").addObject().put("role", "user").put("content", user);
    body.put("temperature", temperature).put("max_tokens", maxTokens).put("seed", seed);
    String url = config.baseUrl() + "/chat/completions";
    String last = "no attempt";
    long backoff = config.initialBackoff().toNanos();
    for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
      awaitSlot();
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(requestTimeout())
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
      if (config.apiKey() != null) {
        request.header("Authorization", "Bearer " + config.apiKey());
      }
      long wait = backoff;
      try {
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status == 200) {
          return reply(r.body(), attempt);
        }
        last = "HTTP " + status + ": " + abbreviate(r.body());
        if (status != 429 && status < 500) {
          throw new ExaminerException(url + " refused the request (not retried): " + last, false);
        }
        wait = Math.max(backoff, retryAfterNanos(r));
      } catch (IOException e) {
        if (e instanceof ExaminerException ee) {
          throw ee;
        }
        last = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      if (attempt == config.maxAttempts()) {
        break;
      }
      if (System.nanoTime() + wait >= deadlineNanos) {
        throw new ExaminerException(url + ": the deadline (" + config.deadline() + ") leaves no time for attempt "
            + (attempt + 1) + "; last: " + last, true);
      }
      Thread.sleep(Duration.ofNanos(wait));
      backoff *= 2;
    }
    throw new ExaminerException(url + " failed " + config.maxAttempts() + " attempts; last: " + last, false);
  }

  private Reply reply(String body, int attempts) throws ExaminerException {
    try {
      JsonNode r = JSON.readTree(body);
      JsonNode content = r.at("/choices/0/message/content");
      if (!content.isTextual()) {
        throw new ExaminerException(config.baseUrl() + " answered without choices[0].message.content: " + abbreviate(body), false);
      }
      String model = r.path("model").isTextual() ? r.get("model").asText() : config.model();
      return new Reply(content.asText(), config.baseUrl().toString(), model == null ? "unknown" : model, attempts);
    } catch (IOException e) {
      if (e instanceof ExaminerException ee) {
        throw ee;
      }
      throw new ExaminerException(config.baseUrl() + " answered with a body that is not JSON: " + abbreviate(body), false);
    }
  }

  /** Waits for this request's turn under the rate limit; refuses a turn that falls past the deadline. */
  private void awaitSlot() throws ExaminerException, InterruptedException {
    long slot;
    synchronized (this) {
      slot = Math.max(nextSlot, System.nanoTime());
      nextSlot = slot + spacingNanos;
    }
    if (slot >= deadlineNanos) {
      throw new ExaminerException("the examiner deadline (" + config.deadline() + ") has passed", true);
    }
    long wait = slot - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(Duration.ofNanos(wait));
    }
  }

  private Duration requestTimeout() throws ExaminerException {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new ExaminerException("the examiner deadline (" + config.deadline() + ") has passed", true);
    }
    return Duration.ofNanos(Math.min(left, config.requestTimeout().toNanos()));
  }

  private static long retryAfterNanos(HttpResponse<String> r) {
    try {
      return r.headers().firstValue("Retry-After").map(v -> Duration.ofSeconds(Long.parseLong(v.strip())).toNanos()).orElse(0L);
    } catch (NumberFormatException e) {
      return 0; // an HTTP date: fall back to our own backoff
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }

  @Override
  public void close() {
    http.close();
  }
}
