package dev.saerl.app.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP API over a model pack, and the versions it follows, with saerl's variants.
 * <pre>
 * GET  /v1/models             the pack's version and every followed version (the model names requests give)
 * POST /v1/completions        {model, prompt, max_tokens, temperature, top_p, seed, stop, stream, saerl}
 * POST /v1/chat/completions   {messages, ...the same}: the pack's prompt template around the last user message
 * GET  /v1/saerl/stats        requests and batches run, queue size
 * </pre>
 * {@code stream: true} answers with server-sent events ({@code data: {chunk}} lines, then
 * {@code data: [DONE]}). Errors are OpenAI-shaped, {@code {"error": {message, type, param, code}}}:
 * 400 naming the field, 401 without the bearer token when one is set, 404 for an unknown model or
 * path, 429 when the queue is full, 504 when a reply takes longer than the timeout. docs/serve.md.
 */
public final class OpenAiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 1 << 20;

  /** How the server runs: where it listens, its token (null for none), queue and batch sizes. */
  public record Config(String host, int port, String token, int queueSize, int maxBatch, Duration window, Duration timeout) {
    public Config {
      token = token == null || token.isBlank() ? null : token.strip();
    }

    public static Config loopback(int port) {
      return new Config("127.0.0.1", port, null, 64, 32, Duration.ofMillis(5), Duration.ofMinutes(5));
    }

    public Config withToken(String t) {
      return new Config(host, port, t, queueSize, maxBatch, window, timeout);
    }

    public Config withQueue(int q, int batch) {
      return new Config(host, port, token, q, batch, window, timeout);
    }
  }

  private final HttpServer http;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final ModelPack pack;
  private final OnnxGenerator generator;
  private final ServedModels models;
  private volatile PlanBook plans;
  private final BatchScheduler scheduler;
  private final RequestParser parser;
  private final Config config;
  private final AtomicLong ids = new AtomicLong();

  private OpenAiServer(ModelPack pack, OnnxGenerator generator, int threads, Config config) throws IOException {
    this.pack = pack;
    this.generator = generator;
    this.config = config;
    this.models = new ServedModels(pack, generator, threads);
    this.parser = new RequestParser(models::names, pack.sae().features(), pack::prompt);
    this.scheduler = new BatchScheduler(this::run, config.queueSize(), config.maxBatch(), config.window());
    try {
      this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
    } catch (java.net.BindException e) {
      scheduler.close();
      java.net.BindException named = new java.net.BindException("cannot serve on " + config.host() + ":" + config.port() + " ("
          + e.getMessage() + "): choose another with --port, or 0 for any free port");
      named.initCause(e);
      throw named;
    }
    http.createContext("/", this::handle);
    http.setExecutor(executor);
    http.start();
  }

  /** Each model's jobs of a batch on that model's runner, one model after another. */
  private void run(java.util.List<Job> jobs) {
    java.util.Map<ServedModels.Served, java.util.List<Job>> byModel = new java.util.LinkedHashMap<>();
    for (Job j : jobs) {
      byModel.computeIfAbsent(served(j.request), k -> new java.util.ArrayList<>()).add(j);
    }
    byModel.forEach((m, group) -> m.runner().run(group));
  }

  /** The model a request asked for: a version id, else the base (by its version or pack name, or by default). */
  private ServedModels.Served served(CompletionRequest r) {
    ServedModels.Served s = r.model() == null ? null : models.get(r.model());
    return s != null ? s : models.baseModel();
  }

  /** Lets requests name a steering plan ({@code saerl.plan}) from {@code topic}, read when they arrive. */
  public void readPlans(java.util.Properties client, dev.saerl.schemas.topics.Topic<String, dev.saerl.schemas.avro.SteeringPlan> topic) {
    PlanBook book = new PlanBook(client, topic);
    plans = book;
    parser.withPlans((version, dataset, variant) -> version != null ? book.version(version) : book.current(dataset, variant));
  }

  /** The registry of served models: {@link ServedModels#follow} adds announced versions. */
  public ServedModels models() {
    return models;
  }

  /** Loads the generator on {@code pack} and serves it until closed. */
  public static OpenAiServer start(ModelPack pack, int threads, Config config) throws IOException {
    OnnxGenerator generator = new OnnxGenerator(pack, threads);
    try {
      return new OpenAiServer(pack, generator, threads, config);
    } catch (IOException | RuntimeException e) {
      generator.close();
      throw e;
    }
  }

  public int port() {
    return http.getAddress().getPort();
  }

  public String url() {
    return "http://" + config.host() + ":" + port() + "/v1";
  }

  /** The model name requests give. */
  public String model() {
    return pack.version();
  }

  public BatchScheduler scheduler() {
    return scheduler;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (config.token() != null && !authorized(ex)) {
        error(ex, new BadRequest(401, null, "this server needs its token: header 'Authorization: Bearer <token>'"));
        return;
      }
      try {
        switch (path) {
          case "/v1/models" -> get(ex, this::modelList);
          case "/v1/saerl/stats" -> get(ex, this::stats);
          case "/v1/completions" -> complete(ex, parser::completion);
          case "/v1/chat/completions" -> complete(ex, parser::chat);
          default -> throw new BadRequest(404, null, "no such path: " + path);
        }
      } catch (BadRequest e) {
        error(ex, e);
      } catch (RuntimeException e) {
        LOG.warn("{} failed", path, e);
        error(ex, new BadRequest(500, null, e.toString()));
      }
    }
  }

  private boolean authorized(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    return header != null && MessageDigest.isEqual(("Bearer " + config.token()).getBytes(StandardCharsets.UTF_8),
        header.strip().getBytes(StandardCharsets.UTF_8));
  }

  private void get(HttpExchange ex, java.util.function.Supplier<ObjectNode> body) throws IOException {
    if (!ex.getRequestMethod().equals("GET")) {
      throw new BadRequest(405, null, "use GET");
    }
    send(ex, 200, body.get());
  }

  private ObjectNode modelList() {
    ObjectNode list = JSON.createObjectNode().put("object", "list");
    ArrayNode data = list.putArray("data");
    for (ServedModels.Served served : models.all()) {
      ModelPack p = served.pack();
      long created = served.announced() == null ? 0 : served.announced().getCreatedAtMs() / 1000;
      ObjectNode m = data.addObject().put("id", p.version()).put("object", "model").put("created", created).put("owned_by", "saerl");
      ObjectNode x = m.putObject("saerl").put("pack", p.name()).put("parent_version", p.parentVersion())
          .put("hook_layer", p.hookLayer()).put("sae_features", p.sae().features()).put("sae_id", p.sae().id());
      if (served.announced() != null) {
        x.put("method", served.announced().getMethod()).put("pack_uri", served.announced().getPackUri());
      }
    }
    return list;
  }

  private ObjectNode stats() {
    return JSON.createObjectNode().put("requests", scheduler.rows()).put("batches", scheduler.batches())
        .put("queue_size", config.queueSize()).put("max_batch", config.maxBatch());
  }

  private void complete(HttpExchange ex, Function<byte[], CompletionRequest> parse) throws IOException {
    if (!ex.getRequestMethod().equals("POST")) {
      throw new BadRequest(405, null, "use POST");
    }
    CompletionRequest request = parse.apply(body(ex));
    Job job = new Job(request);
    if (!scheduler.offer(job)) {
      throw new BadRequest(429, null, "the queue is full (" + config.queueSize() + " requests): retry later");
    }
    Replies replies = new Replies(request.chat(), (request.chat() ? "chatcmpl-" : "cmpl-") + ids.incrementAndGet(),
        Instant.now().getEpochSecond(), served(request).pack().version());
    if (request.stream()) {
      stream(ex, job, replies);
    } else {
      send(ex, 200, replies.whole(awaitDone(job)));
    }
  }

  private Completion awaitDone(Job job) {
    long deadline = System.nanoTime() + config.timeout().toNanos();
    while (true) {
      Job.Event e = next(job, deadline);
      if (e instanceof Job.Done d) {
        return d.completion();
      }
      if (e instanceof Job.Failed f) {
        throw f.error();
      }
    }
  }

  private Job.Event next(Job job, long deadline) {
    long left = deadline - System.nanoTime();
    Job.Event e;
    try {
      e = left <= 0 ? null : job.next(Duration.ofNanos(left));
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new BadRequest(503, null, "the server is shutting down");
    }
    if (e == null) {
      throw new BadRequest(504, null, "no reply within " + config.timeout().toSeconds() + " s");
    }
    return e;
  }

  /** Server-sent events: a first chunk (the chat role), one per text delta, a last with the finish reason, then [DONE]. */
  private void stream(HttpExchange ex, Job job, Replies replies) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    long deadline = System.nanoTime() + config.timeout().toNanos();
    if (replies.chat()) {
      event(out, replies.chunk("", true, null));
    }
    try {
      while (true) {
        Job.Event e = next(job, deadline);
        if (e instanceof Job.Delta d) {
          event(out, replies.chunk(d.text(), false, null));
        } else if (e instanceof Job.Done d) {
          event(out, replies.chunk("", false, d.completion()));
          break;
        } else if (e instanceof Job.Failed f) {
          throw f.error();
        }
      }
    } catch (BadRequest e) {
      event(out, Replies.error(e));
    } catch (RuntimeException e) {
      LOG.warn("a streamed request failed", e);
      event(out, Replies.error(new BadRequest(500, null, e.toString())));
    }
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void event(OutputStream out, ObjectNode body) throws IOException {
    out.write(("data: " + JSON.writeValueAsString(body) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static byte[] body(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] b = in.readNBytes(MAX_BODY + 1);
      if (b.length > MAX_BODY) {
        throw new BadRequest(413, null, "the body is larger than " + MAX_BODY + " bytes");
      }
      return b;
    }
  }

  private static void error(HttpExchange ex, BadRequest e) throws IOException {
    if (e.status() == 405) {
      ex.getResponseHeaders().set("Allow", ex.getRequestURI().getPath().endsWith("completions") ? "POST" : "GET");
    }
    send(ex, e.status(), Replies.error(e));
  }

  private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    http.stop(0);
    scheduler.close();
    executor.shutdownNow();
    models.close();
    if (plans != null) {
      plans.close();
    }
    generator.close();
  }

  /** Builds the OpenAI-shaped bodies of one request's reply. */
  private record Replies(boolean chat, String id, long created, String model) {
    private ObjectNode head(boolean chunk) {
      String object = chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
      return JSON.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    ObjectNode whole(Completion c) {
      ObjectNode body = head(false);
      ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
      if (chat) {
        choice.putObject("message").put("role", "assistant").put("content", c.text());
      } else {
        choice.put("text", c.text()).putNull("logprobs");
      }
      choice.put("finish_reason", c.finishReason());
      usage(body, c);
      return body;
    }

    /** A stream chunk: text, or (with {@code last}) the finish reason, usage and features. */
    ObjectNode chunk(String text, boolean first, Completion last) {
      ObjectNode body = head(true);
      ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
      if (chat) {
        ObjectNode delta = choice.putObject("delta");
        if (first) {
          delta.put("role", "assistant").put("content", "");
        } else if (last == null) {
          delta.put("content", text);
        }
      } else {
        choice.put("text", text).putNull("logprobs");
      }
      if (last == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", last.finishReason());
        usage(body, last);
      }
      return body;
    }

    private static void usage(ObjectNode body, Completion c) {
      body.putObject("usage").put("prompt_tokens", c.promptTokens()).put("completion_tokens", c.completionTokens())
          .put("total_tokens", c.promptTokens() + c.completionTokens());
      if (!c.features().isEmpty()) {
        ArrayNode features = body.putObject("saerl").putArray("features");
        for (Completion.TokenFeatures t : c.features()) {
          ObjectNode f = features.addObject().put("token", t.token());
          ArrayNode ids = f.putArray("ids");
          ArrayNode acts = f.putArray("activations");
          for (int k = 0; k < t.ids().length; k++) {
            ids.add(t.ids()[k]);
            acts.add(t.activations()[k]);
          }
        }
      }
    }

    static ObjectNode error(BadRequest e) {
      ObjectNode body = JSON.createObjectNode();
      String type = switch (e.status()) {
        case 401 -> "authentication_error";
        case 404 -> "not_found_error";
        case 429 -> "rate_limit_error";
        case 400, 405, 413 -> "invalid_request_error";
        default -> "server_error";
      };
      body.putObject("error").put("message", e.getMessage()).put("type", type).put("param", e.param()).putNull("code");
      return body;
    }
  }
}
