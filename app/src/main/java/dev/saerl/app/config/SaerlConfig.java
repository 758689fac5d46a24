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

  public static SaerlConfig resolve(Path file, Map<String, String> env, Map<String, String> flags) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
      }
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
    return new SaerlConfig(v);
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
