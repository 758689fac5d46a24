package dev.saerl.app.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * saerl's settings, resolved in one place: defaults, then a properties file, then environment
 * variables ({@code SAERL_} + the key upper-cased with '.' as '_'), then command-line flags.
 * Keys (documented in README.md and used by docker-compose.yml):
 * {@code data.dir}, {@code bootstrap.servers}, {@code registry.url}, {@code topic.prefix}.
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

  /** Kafka client settings for these services. */
  public Properties kafkaClient() {
    Properties p = new Properties();
    p.put("bootstrap.servers", requireConnection(BOOTSTRAP_SERVERS, bootstrapServers()));
    return p;
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
