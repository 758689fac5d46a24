package dev.saerl.streams.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.streams.stats.StatsStores;
import dev.saerl.streams.verify.SaerlTopology;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statistics' HTTP API and page. Every instance answers every request: a dataset's requests are
 * forwarded to the instance that holds it ({@link Routing}), the dataset list and counts are
 * gathered from all instances.
 * <pre>
 * GET /                                   the page (feature table, plan, examples)
 * GET /api/datasets                       every dataset with its counts and plan version
 * GET /api/counts                         totals over all datasets
 * GET /api/datasets/{d}                   one dataset's counts (of its newest version)
 * GET /api/datasets/{d}/versions          its (model version, SAE) pairs, newest first, each with counts and its own plan
 * GET /api/datasets/{d}/features?limit=N  its features, ranked ones best first (default 100)
 * GET /api/datasets/{d}/features/{id}     one feature with its statistics and top activating steps
 * GET /api/datasets/{d}/plan              its published steering plan (without a version), or a version's own plan
 * GET /api/datasets/{d}/fix-rates         its corrections' fix rate per arm, with 95% Wilson intervals
 * </pre>
 * Statistics are kept per (dataset, model version, SAE), never pooled: the dataset, features and plan
 * resources read the newest version unless {@code ?model_version=V} (and optionally {@code &sae_id=S})
 * names another.
 * Errors are JSON {@code {"error": ...}}: 404 unknown dataset or feature, 400 bad request, 503 while
 * the owning instance is unknown (rebalancing), 502 when it does not answer.
 */
public final class StatsHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatsHttpServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String LOCAL = "local=true";

  private final HttpServer server;
  private final StatsReader reader;
  private final Routing routing;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** When set, every /api/ request needs it (header {@code Authorization: Bearer <token>} or {@code ?token=}). */
  private final String token;

  private StatsHttpServer(HttpServer server, StatsReader reader, Routing routing, String token) {
    this.server = server;
    this.reader = reader;
    this.routing = routing;
    this.token = token == null || token.isBlank() ? null : token;
  }

  /** Binds {@code address} (port 0: any free port) and serves until closed, without a token. */
  public static StatsHttpServer start(InetSocketAddress address, StatsReader reader, java.util.function.Function<HostInfo, Routing> routing)
      throws IOException {
    return start(address, reader, routing, null);
  }

  /** As above; with a non-blank {@code token}, API requests without it are refused with 401. */
  public static StatsHttpServer start(InetSocketAddress address, StatsReader reader, java.util.function.Function<HostInfo, Routing> routing,
                                      String token) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 64);
    } catch (java.net.BindException e) {
      // the JDK's message is only "Address already in use": name the address, and the flag that moves it
      java.net.BindException named = new java.net.BindException("cannot serve HTTP on " + address.getHostString() + ":"
          + address.getPort() + " (" + e.getMessage() + "): choose another with --http-port, or 0 for any free port");
      named.initCause(e);
      throw named;
    }
    HostInfo self = new HostInfo(address.getHostString(), server.getAddress().getPort());
    StatsHttpServer s = new StatsHttpServer(server, reader, routing.apply(self), token);
    server.createContext("/", s::handle);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "stats-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return s;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String url() {
    return "http://" + routing.self().host() + ":" + port() + "/";
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private record Reply(int status, Object body) {
    static Reply ok(Object body) {
      return new Reply(200, body);
    }

    static Reply error(int status, String message) {
      return new Reply(status, Map.of("error", message));
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod())) {
        send(ex, Reply.error(405, "only GET is served"));
        return;
      }
      String path = ex.getRequestURI().getRawPath();
      if (path.equals("/") || path.equals("/index.html")) {
        sendPage(ex);
        return;
      }
      if (token != null && !authorized(ex)) {
        send(ex, Reply.error(401, "this API needs its token: header 'Authorization: Bearer <token>' or ?token=<token>"));
        return;
      }
      Reply reply;
      try {
        reply = route(path, ex.getRequestURI().getRawQuery());
      } catch (InvalidStateStoreException e) {
        reply = Reply.error(503, "statistics are not queryable right now (" + e.getMessage() + "); retry shortly");
      } catch (RuntimeException e) {
        LOG.warn("request {} failed", path, e);
        reply = Reply.error(500, e.toString());
      }
      send(ex, reply);
    }
  }

  private boolean authorized(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header != null && java.security.MessageDigest.isEqual(("Bearer " + token).getBytes(StandardCharsets.UTF_8),
        header.getBytes(StandardCharsets.UTF_8))) {
      return true;
    }
    String query = ex.getRequestURI().getRawQuery();
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith("token=") && java.security.MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
            URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8))) {
          return true;
        }
      }
    }
    return false;
  }

  private Reply route(String path, String query) {
    boolean local = query != null && query.contains(LOCAL);
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (!p.isEmpty()) {
        parts.add(URLDecoder.decode(p, StandardCharsets.UTF_8));
      }
    }
    if (parts.isEmpty() || !parts.get(0).equals("api")) {
      return Reply.error(404, "no such page: " + path);
    }
    if (parts.size() == 2 && parts.get(1).equals("datasets")) {
      return Reply.ok(local ? reader.datasets() : gatherDatasets());
    }
    if (parts.size() == 2 && parts.get(1).equals("counts")) {
      return Reply.ok(counts(gatherDatasets()));
    }
    if (parts.size() < 3 || parts.size() > 5 || !parts.get(1).equals("datasets")) {
      return Reply.error(404, "no such resource: " + path);
    }
    String dataset = parts.get(2);
    boolean fixRates = parts.size() == 4 && parts.get(3).equals("fix-rates");
    if (!local) {
      Optional<HostInfo> owner = routing.ownerOf(fixRates ? SaerlTopology.FIX_RATES_STORE : StatsStores.DATASET_TOTALS, dataset);
      if (owner.isEmpty()) {
        return Reply.error(503, "no instance holds dataset '" + dataset + "' right now (starting or rebalancing); retry shortly");
      }
      if (!owner.get().equals(routing.self())) {
        return forward(owner.get(), path, query);
      }
    }
    int limit = intParam(query, "limit", 100);
    StatsReader.Version version = new StatsReader.Version(param(query, "model_version"), param(query, "sae_id"));
    String none = "dataset '" + dataset + "' has no statistics" + of(version);
    if (parts.size() == 3) {
      return found(reader.dataset(dataset, version), none);
    }
    if (parts.size() == 4 && parts.get(3).equals("versions")) {
      return found(reader.versions(dataset), none);
    }
    if (parts.size() == 4 && parts.get(3).equals("features")) {
      return found(reader.features(dataset, version, limit), none);
    }
    if (fixRates) {
      return found(reader.fixRates(dataset), "dataset '" + dataset + "' has no corrections yet");
    }
    if (parts.size() == 4 && parts.get(3).equals("plan")) {
      return found(reader.plan(dataset, version).map(StatsHttpServer::plan),
          "dataset '" + dataset + "' has no steering plan" + of(version) + " yet");
    }
    if (parts.size() == 5 && parts.get(3).equals("features")) {
      int feature;
      try {
        feature = Integer.parseInt(parts.get(4));
      } catch (NumberFormatException e) {
        return Reply.error(400, "feature id must be an integer, got '" + parts.get(4) + "'");
      }
      return found(reader.feature(dataset, version, feature),
          "feature " + feature + " has no statistics in dataset '" + dataset + "'" + of(version));
    }
    return Reply.error(404, "no such resource: " + path);
  }

  private static Reply found(Optional<?> value, String missing) {
    return value.<Reply>map(Reply::ok).orElseGet(() -> Reply.error(404, missing));
  }

  /** The URL-decoded value of parameter {@code name}; null when absent. */
  private static String param(String query, String name) {
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith(name + "=")) {
          return URLDecoder.decode(kv.substring(name.length() + 1), StandardCharsets.UTF_8);
        }
      }
    }
    return null;
  }

  private static String of(StatsReader.Version v) {
    return (v.modelVersion() == null ? "" : " of model version '" + v.modelVersion() + "'")
        + (v.saeId() == null ? "" : " with SAE '" + v.saeId() + "'");
  }

  private static int intParam(String query, String name, int fallback) {
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith(name + "=")) {
          try {
            return Math.max(0, Integer.parseInt(kv.substring(name.length() + 1)));
          } catch (NumberFormatException e) {
            return fallback;
          }
        }
      }
    }
    return fallback;
  }

  private List<Object> gatherDatasets() {
    List<Object> all = new ArrayList<>();
    for (HostInfo host : routing.all()) {
      if (host.equals(routing.self())) {
        all.addAll(reader.datasets());
      } else {
        Reply r = forward(host, "/api/datasets", null);
        if (r.status() == 200 && r.body() instanceof JsonNode node) {
          node.forEach(all::add);
        } else {
          LOG.warn("instance {}:{} did not list its datasets: {}", host.host(), host.port(), r.body());
        }
      }
    }
    return all;
  }

  private static Map<String, Object> counts(List<Object> datasets) {
    long correct = 0;
    long incorrect = 0;
    long paired = 0;
    long plans = 0;
    for (Object d : datasets) {
      JsonNode n = JSON.valueToTree(d);
      correct += n.path("samples_correct").asLong();
      incorrect += n.path("samples_incorrect").asLong();
      paired += n.path("paired_queries").asLong();
      plans += n.path("published_plan_version").isTextual() ? 1 : 0;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("datasets", datasets.size());
    m.put("samples_correct", correct);
    m.put("samples_incorrect", incorrect);
    m.put("paired_queries", paired);
    m.put("plans", plans);
    return m;
  }

  private Reply forward(HostInfo host, String path, String query) {
    String q = query == null || query.isEmpty() ? LOCAL : query + "&" + LOCAL;
    URI uri = URI.create("http://" + host.host() + ":" + host.port() + path + "?" + q);
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), JSON.readTree(r.body()));
    } catch (IOException e) {
      return Reply.error(502, "instance " + host.host() + ":" + host.port() + " holding this dataset did not answer: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Reply.error(503, "interrupted");
    }
  }

  static Map<String, Object> plan(SteeringPlan p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("plan_version", p.getPlanVersion());
    m.put("dataset", p.getDataset());
    m.put("variant", p.getVariant());
    m.put("model_version", p.getModelVersion());
    m.put("sae_id", p.getSaeId());
    m.put("hook_layer", p.getHookLayer());
    m.put("feature_ids", p.getFeatureIds());
    m.put("coefficients", p.getCoefficients());
    m.put("scores", p.getScores());
    m.put("samples_used", p.getSamplesUsed());
    return m;
  }

  private static void send(HttpExchange ex, Reply reply) throws IOException {
    byte[] body = JSON.writeValueAsBytes(reply.body());
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(reply.status(), body.length);
    ex.getResponseBody().write(body);
  }

  private static void sendPage(HttpExchange ex) throws IOException {
    byte[] page;
    try (InputStream in = StatsHttpServer.class.getResourceAsStream("index.html")) {
      if (in == null) {
        throw new UncheckedIOException(new IOException("index.html missing from the streams-app jar"));
      }
      page = in.readAllBytes();
    }
    ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    ex.sendResponseHeaders(200, page.length);
    ex.getResponseBody().write(page);
  }
}
