package dev.saerl.app.config;

import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.registry.RegistryAuth;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * saerl's settings, resolved in one place: defaults, then a properties file, then environment
 * variables ({@code SAERL_} + the key upper-cased with '.' as '_'), then command-line flags.
 * Keys (documented in README.md and used by docker-compose.yml):
 * {@code data.dir}, {@code bootstrap.servers}, {@code registry.url}, {@code topic.prefix}, and for
 * a secured cluster (docs/operations.md) {@code kafka.security.protocol} (PLAINTEXT, SSL,
 * SASL_PLAINTEXT, SASL_SSL), {@code kafka.sasl.mechanism} (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN),
 * {@code kafka.sasl.username}, {@code kafka.sasl.password} or {@code kafka.sasl.password.file},
 * {@code kafka.ssl.truststore.location}, {@code kafka.ssl.truststore.password} (or {@code .file}),
 * {@code kafka.ssl.keystore.location}, {@code kafka.ssl.keystore.password} (or {@code .file}).
 * Passwords come from the environment ({@code SAERL_KAFKA_SASL_PASSWORD}), a file or the config
 * file; they are passed to the Kafka clients as password-typed settings, which Kafka never logs.
 * The schema registry authenticates with {@code registry.auth.token} (or {@code .file}; a bearer
 * token) or {@code registry.auth.username} and {@code registry.auth.password} (or {@code .file};
 * HTTP basic). Every password and token is hidden when the settings are printed.
 */
public final class SaerlConfig {
  public static final String DATA_DIR = "data.dir";
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String REGISTRY_URL = "registry.url";
  public static final String TOPIC_PREFIX = "topic.prefix";

  private static final Map<String, String> DEFAULTS = Map.of(
      DATA_DIR, "data",
      TOPIC_PREFIX, "saerl.");

  private final Map<String, String> values;

  private SaerlConfig(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** Written by {@code saerl up} in its data dir, so other commands find the running services. */
  public static final String ENDPOINTS_FILE = "endpoints.properties";

  public static SaerlConfig resolve(Path file, Map<String, String> env, Map<String, String> flags) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    if (file != null) {
      Properties p = load(file);
      p.stringPropertyNames().forEach(k -> v.put(k, p.getProperty(k).trim()));
    }
    env.forEach((k, val) -> {
      if (k.startsWith("SAERL_") && !val.isBlank()) {
        v.put(k.substring(6).toLowerCase().replace('_', '.'), val.trim());
      }
    });
    flags.forEach((k, val) -> {
      if (val != null) {
        v.put(k, val);
      }
    });
    if (v.get(BOOTSTRAP_SERVERS) == null && v.get(REGISTRY_URL) == null) {
      Path endpoints = Path.of(v.get(DATA_DIR)).resolve(ENDPOINTS_FILE);
      if (Files.isRegularFile(endpoints)) {
        Properties p = load(endpoints);
        v.put(BOOTSTRAP_SERVERS, p.getProperty(BOOTSTRAP_SERVERS));
        v.put(REGISTRY_URL, p.getProperty(REGISTRY_URL));
      }
    }
    return new SaerlConfig(v);
  }

  private static Properties load(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return p;
  }

  /** Kafka client settings for these services, with the security settings when configured. */
  public Properties kafkaClient() {
    Properties p = new Properties();
    p.put("bootstrap.servers", requireConnection(BOOTSTRAP_SERVERS, bootstrapServers()));
    String protocol = values.get("kafka.security.protocol");
    if (protocol == null || protocol.equalsIgnoreCase("PLAINTEXT")) {
      return p;
    }
    protocol = protocol.toUpperCase(java.util.Locale.ROOT);
    if (!java.util.Set.of("SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(protocol)) {
      throw new IllegalArgumentException("kafka.security.protocol is '" + protocol + "': use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
    }
    p.put("security.protocol", protocol);
    if (protocol.startsWith("SASL")) {
      String mechanism = values.getOrDefault("kafka.sasl.mechanism", "SCRAM-SHA-512").toUpperCase(java.util.Locale.ROOT);
      String module = switch (mechanism) {
        case "SCRAM-SHA-256", "SCRAM-SHA-512" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
        case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
        default -> throw new IllegalArgumentException("kafka.sasl.mechanism is '" + mechanism
            + "': use SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN");
      };
      String user = required("kafka.sasl.username");
      String password = secret("kafka.sasl.password");
      if (password == null) {
        throw new IllegalArgumentException("kafka.security.protocol " + protocol
            + " needs kafka.sasl.password, kafka.sasl.password.file or SAERL_KAFKA_SASL_PASSWORD");
      }
      p.put("sasl.mechanism", mechanism);
      p.put("sasl.jaas.config", module + " required username=\"" + jaas(user) + "\" password=\"" + jaas(password) + "\";");
    }
    if (protocol.endsWith("SSL")) {
      putIfSet(p, "ssl.truststore.location", values.get("kafka.ssl.truststore.location"));
      putIfSet(p, "ssl.truststore.password", secret("kafka.ssl.truststore.password"));
      putIfSet(p, "ssl.keystore.location", values.get("kafka.ssl.keystore.location"));
      putIfSet(p, "ssl.keystore.password", secret("kafka.ssl.keystore.password"));
    }
    return p;
  }

  /** A client of the configured registry, with its credentials when configured. */
  public HttpSchemaRegistry registry() {
    return new HttpSchemaRegistry(requireConnection(REGISTRY_URL, registryUrl()), Duration.ofSeconds(120), registryAuth());
  }

  /** The registry's credentials: a bearer token, a username and password, or none. */
  public RegistryAuth registryAuth() {
    String token = secret("registry.auth.token");
    String user = values.get("registry.auth.username");
    String password = secret("registry.auth.password");
    if (token != null && user != null) {
      throw new IllegalArgumentException("set registry.auth.token or registry.auth.username, not both");
    }
    if (token != null) {
      if (token.isBlank()) {
        throw new IllegalArgumentException("registry.auth.token is empty");
      }
      return RegistryAuth.bearer(token);
    }
    if (user != null) {
      if (password == null) {
        throw new IllegalArgumentException("registry.auth.username needs registry.auth.password, registry.auth.password.file"
            + " or SAERL_REGISTRY_AUTH_PASSWORD");
      }
      return RegistryAuth.basic(user, password);
    }
    if (password != null) {
      throw new IllegalArgumentException("registry.auth.password is set without registry.auth.username");
    }
    return RegistryAuth.NONE;
  }

  private String required(String key) {
    String v = values.get(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(key + " is required with kafka.security.protocol " + values.get("kafka.security.protocol"));
    }
    return v;
  }

  /** A secret given directly or as {@code <key>.file} (its first line). */
  private String secret(String key) {
    String file = values.get(key + ".file");
    if (file != null) {
      try {
        return Files.readAllLines(Path.of(file)).stream().findFirst().orElse("").trim();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + key + ".file " + file + ": " + e.getMessage(), e);
      }
    }
    return values.get(key);
  }

  private static String jaas(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static void putIfSet(Properties p, String key, String value) {
    if (value != null && !value.isBlank()) {
      p.put(key, value);
    }
  }

  @Override
  public String toString() {
    Map<String, String> shown = new java.util.TreeMap<>(values);
    shown.replaceAll((k, v) -> k.contains("password") || k.contains("token") ? "[hidden]" : v);
    return "SaerlConfig" + shown;
  }

  public String requireConnection(String key, String value) {
    if (value == null) {
      throw new IllegalArgumentException("no " + key + ": start './saerl up' (it records its addresses in "
          + dataDir().resolve(ENDPOINTS_FILE) + ") or pass --bootstrap-servers and --registry-url");
    }
    return value;
  }

  public Path dataDir() {
    return Path.of(values.get(DATA_DIR));
  }

  public String topicPrefix() {
    return values.get(TOPIC_PREFIX);
  }

  /** Null when saerl should start its own broker. */
  public String bootstrapServers() {
    return values.get(BOOTSTRAP_SERVERS);
  }

  /** Null when saerl should start its own registry. */
  public String registryUrl() {
    return values.get(REGISTRY_URL);
  }

  public String get(String key) {
    return values.get(key);
  }
}
