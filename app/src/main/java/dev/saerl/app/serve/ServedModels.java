package dev.saerl.app.serve;

import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.kafka.TopicTable;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a server answers for: its pack, and with {@link #follow} every version announced on
 * model-versions whose method is followed, each on its own generator, by version id. A version
 * whose pack cannot be loaded is logged once and not served.
 */
public final class ServedModels implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServedModels.class);

  /** A served model: its pack, runner and, for an announced version, the record that announced it. */
  record Served(ModelPack pack, OnnxGenerator generator, VariantRunner runner, ModelVersion announced) {}

  /** By version id, in the order they arrived (the base first). */
  private final Map<String, Served> models = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private final String base;
  private final int threads;
  private volatile Thread follower;
  private volatile TopicTable<ModelVersion> versions;

  ServedModels(ModelPack pack, OnnxGenerator generator, int threads) {
    this.base = pack.version();
    this.threads = threads;
    add(new Served(pack, generator, new VariantRunner(pack, generator, new JavaSparseAutoencoder(pack)), null));
  }

  private void add(Served s) {
    models.put(s.pack().version(), s);
  }

  Served get(String model) {
    return models.get(model);
  }

  Served baseModel() {
    return models.get(base);
  }

  /** The names a request may give: every version id, and the base pack's name. */
  Set<String> names() {
    Set<String> names;
    synchronized (models) {
      names = new HashSet<>(models.keySet());
    }
    names.add(baseModel().pack().name());
    return names;
  }

  /** Served models in the order they arrived, the base first. */
  List<Served> all() {
    synchronized (models) {
      return new ArrayList<>(models.values());
    }
  }

  /**
   * Serves every version announced on {@code topic} (read from its start, then every {@code every})
   * whose method is one of {@code methods}.
   */
  public void follow(Properties client, Topic<String, ModelVersion> topic, Set<String> methods, Duration every) {
    versions = new TopicTable<>(client, topic, ModelVersion::getVersion);
    catchUp(methods);
    follower = Thread.ofPlatform().name("serve-versions").daemon().start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(every.toMillis());
          catchUp(methods);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          LOG.warn("reading model-versions: {}", e.getMessage());
        }
      }
    });
  }

  private void catchUp(Set<String> methods) {
    versions.catchUp();
    List<ModelVersion> fresh = versions.values().stream()
        .filter(v -> methods.contains(v.getMethod()) && !models.containsKey(v.getVersion()) && !refused.contains(v.getVersion()))
        .sorted(java.util.Comparator.comparingLong(ModelVersion::getCreatedAtMs)).toList();
    for (ModelVersion v : fresh) {
      try {
        ModelPack pack = ModelPack.load(Path.of(v.getPackUri()));
        if (!pack.version().equals(v.getVersion())) {
          throw new IllegalArgumentException("the pack at " + v.getPackUri() + " is version " + pack.version());
        }
        OnnxGenerator generator = new OnnxGenerator(pack, threads);
        add(new Served(pack, generator, new VariantRunner(pack, generator, new JavaSparseAutoencoder(pack)), v));
        LOG.info("serving model version {} ({}, from {})", v.getVersion(), v.getMethod(), v.getParentVersion());
      } catch (RuntimeException e) {
        refused.add(v.getVersion());
        LOG.warn("not serving model version {}: {}", v.getVersion(), e.getMessage());
      }
    }
  }

  /** Closes the follower and every generator this registry loaded (not the base pack's, which its caller owns). */
  @Override
  public void close() {
    if (follower != null) {
      follower.interrupt();
      try {
        follower.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (versions != null) {
      versions.close();
    }
    for (Served s : all()) {
      if (s.announced() != null) {
        s.generator().close();
      }
    }
  }
}
