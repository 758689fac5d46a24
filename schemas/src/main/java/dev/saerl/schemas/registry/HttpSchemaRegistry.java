package dev.saerl.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Confluent Schema Registry REST API (Confluent's own server, or Apicurio's
 * {@code /apis/ccompat/v7}). Ids and schemas are cached; while the registry cannot be reached,
 * calls retry with backoff for up to {@code unavailableWait}, logging what they wait for. With
 * {@link RegistryAuth} every request carries an Authorization header; a 401 or 403 is not retried and
 * says whether credentials were sent.
 */
public final class HttpSchemaRegistry implements SchemaRegistry {
  private static final Logger log = LoggerFactory.getLogger(HttpSchemaRegistry.class);
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;
  private final Duration unavailableWait;
  private final RegistryAuth auth;
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
  private final Map<String, Integer> idBySubjectAndSchema = new ConcurrentHashMap<>();

  public HttpSchemaRegistry(String url) {
    this(url, Duration.ofSeconds(120));
  }

  public HttpSchemaRegistry(String url, Duration unavailableWait) {
    this(url, unavailableWait, RegistryAuth.NONE);
  }

  public HttpSchemaRegistry(String url, Duration unavailableWait, RegistryAuth auth) {
    this.base = URI.create(url.endsWith("/") ? url : url + "/");
    this.unavailableWait = unavailableWait;
    this.auth = auth;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public int register(String subject, Schema schema) {
    return idBySubjectAndSchema.computeIfAbsent(cacheKey(subject, schema), k -> {
      JsonNode body = send("POST", "subjects/" + enc(subject) + "/versions", schemaBody(schema));
      int id = body.path("id").asInt();
      byId.putIfAbsent(id, schema);
      return id;
    });
  }

  @Override
  public int idOf(String subject, Schema schema) {
    return idBySubjectAndSchema.computeIfAbsent(cacheKey(subject, schema), k -> {
      JsonNode body = send("POST", "subjects/" + enc(subject), schemaBody(schema));
      int id = body.path("id").asInt();
      byId.putIfAbsent(id, schema);
      return id;
    });
  }

  @Override
  public Schema schemaById(int id) {
    return byId.computeIfAbsent(id, k -> parse(send("GET", "schemas/ids/" + id, null).path("schema").asText()));
  }

  @Override
  public RegisteredSchema latest(String subject) {
    JsonNode body = send("GET", "subjects/" + enc(subject) + "/versions/latest", null);
    return new RegisteredSchema(subject, body.path("id").asInt(), body.path("version").asInt(),
        parse(body.path("schema").asText()));
  }

  @Override
  public CompatibilityResult testCompatibility(String subject, Schema schema) {
    JsonNode body;
    try {
      body = send("POST", "compatibility/subjects/" + enc(subject) + "/versions/latest?verbose=true",
          schemaBody(schema));
    } catch (SchemaRegistryException e) {
      if (e.isNotFound()) {
        return new CompatibilityResult(true, List.of()); // nothing registered yet: anything goes
      }
      throw e;
    }
    List<String> messages = new ArrayList<>();
    body.path("messages").forEach(m -> messages.add(m.asText()));
    return new CompatibilityResult(body.path("is_compatible").asBoolean(), messages);
  }

  @Override
  public void setCompatibility(String subject, Compatibility level) {
    send("PUT", "config/" + enc(subject), JSON.createObjectNode().put("compatibility", level.name()).toString());
  }

  @Override
  public List<String> subjects() {
    List<String> out = new ArrayList<>();
    send("GET", "subjects", null).forEach(s -> out.add(s.asText()));
    return out;
  }

  @Override
  public String describe() {
    return base.toString();
  }

  private JsonNode send(String method, String path, String body) {
    URI uri = base.resolve(path);
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .header("Accept", CONTENT_TYPE + ", application/json");
    if (body != null) {
      req.header("Content-Type", CONTENT_TYPE);
    }
    if (auth.header() != null) {
      req.header("Authorization", auth.header());
    }
    req.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    HttpResponse<String> response = sendWithRetry(req.build(), method + " " + uri);
    JsonNode json = readJson(response.body());
    if (response.statusCode() / 100 != 2) {
      int code = json.path("error_code").asInt(response.statusCode());
      String message = json.path("message").asText(response.body());
      throw new SchemaRegistryException("schema registry " + base + " refused " + method + " /" + path
          + ": HTTP " + response.statusCode() + ", error " + code + ": " + message + authHint(response.statusCode()),
          response.statusCode(), code, null);
    }
    return json;
  }

  private String authHint(int status) {
    if (status != 401 && status != 403) {
      return "";
    }
    return auth == RegistryAuth.NONE
        ? " (no credentials were sent: set registry.auth.token, or registry.auth.username and registry.auth.password)"
        : " (credentials sent: " + auth + "; " + (status == 401 ? "refused" : "not allowed this call") + ")";
  }

  private HttpResponse<String> sendWithRetry(HttpRequest request, String what) {
    long deadline = System.nanoTime() + unavailableWait.toNanos();
    long backoffMs = 100;
    boolean warned = false;
    while (true) {
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 503 || System.nanoTime() > deadline) {
          if (warned) {
            log.info("schema registry {} is answering again", base);
          }
          return r;
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new SchemaRegistryException("schema registry " + base + " unreachable for " + unavailableWait.toSeconds()
              + " s (" + what + "): " + e, 0, SchemaRegistryException.UNREACHABLE, e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException("interrupted while calling " + what, 0, SchemaRegistryException.UNREACHABLE, e);
      }
      if (!warned) {
        log.warn("waiting for schema registry {} ({}); retrying for up to {} s", base, what, unavailableWait.toSeconds());
        warned = true;
      }
      try {
        Thread.sleep(backoffMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException("interrupted while waiting for " + base, 0, SchemaRegistryException.UNREACHABLE, e);
      }
      backoffMs = Math.min(2_000, backoffMs * 2);
    }
  }

  private static JsonNode readJson(String text) {
    try {
      return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
    } catch (IOException e) {
      return JSON.createObjectNode().put("message", text);
    }
  }

  private static String schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString()).put("schemaType", "AVRO").toString();
  }

  private static Schema parse(String text) {
    return new Schema.Parser().parse(text);
  }

  private static String cacheKey(String subject, Schema schema) {
    return subject + '\u0000' + schema.toString();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
