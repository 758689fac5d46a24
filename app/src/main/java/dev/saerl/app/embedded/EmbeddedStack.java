package dev.saerl.app.embedded;

import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpec;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: a real broker (or a {@link KafkaCluster} of several, each in its own JVM) and
 * a real schema registry, started in parallel on free loopback ports under one data dir, with saerl's
 * topics created (min(brokers, 3) replicas) and its schemas registered.
 */
public final class EmbeddedStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedStack.class);

  private final Brokers kafka;
  private final EmbeddedRegistry registry;
  private final Map<String, Integer> schemaIds;

  private EmbeddedStack(Brokers kafka, EmbeddedRegistry registry, Map<String, Integer> schemaIds) {
    this.kafka = kafka;
    this.registry = registry;
    this.schemaIds = schemaIds;
  }

  public static EmbeddedStack start(Path dataDir, String topicPrefix) {
    return start(dataDir, topicPrefix, 1);
  }

  /** With {@code brokers} 1 the broker runs in this JVM; with more, a {@link KafkaCluster} of child JVMs. */
  public static EmbeddedStack start(Path dataDir, String topicPrefix, int brokers) {
    CompletableFuture<EmbeddedRegistry> registry =
        CompletableFuture.supplyAsync(() -> EmbeddedRegistry.start(dataDir, Duration.ofSeconds(90)));
    Brokers kafka;
    try {
      kafka = brokers == 1 ? EmbeddedKafka.start(dataDir) : KafkaCluster.start(dataDir, brokers, Duration.ofSeconds(120));
    } catch (RuntimeException e) {
      registry.thenAccept(EmbeddedRegistry::close);
      throw e;
    }
    EmbeddedRegistry reg;
    try {
      reg = registry.join();
    } catch (CompletionException e) {
      kafka.close();
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    try (HttpSchemaRegistry client = new HttpSchemaRegistry(reg.confluentUrl())) {
      Topics topics = new Topics(topicPrefix, client);
      createTopics(kafka.bootstrapServers(), topics);
      return new EmbeddedStack(kafka, reg, topics.registerSchemas());
    } catch (RuntimeException e) {
      reg.close();
      kafka.close();
      throw e;
    }
  }

  /** Creates every topic that does not exist yet, with min(brokers in the cluster, 3) replicas. */
  public static void createTopics(String bootstrapServers, Topics topics) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      short replicas = (short) Math.min(admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size(), 3);
      List<NewTopic> missing = new ArrayList<>();
      for (TopicSpec<?> spec : TopicSpecs.ALL) {
        if (!existing.contains(topics.get(spec).name())) {
          missing.add(topics.newTopic(spec, replicas));
        }
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
        log.info("created {} topics with {} replicas", missing.size(), replicas);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topics on " + bootstrapServers + ": " + e.getMessage(), e);
    }
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** The cluster, to kill and restart its nodes; null when the broker runs in this JVM. */
  public KafkaCluster cluster() {
    return kafka instanceof KafkaCluster c ? c : null;
  }

  public String registryUrl() {
    return registry.confluentUrl();
  }

  public long registryPid() {
    return registry.pid();
  }

  public Map<String, Integer> schemaIds() {
    return schemaIds;
  }

  @Override
  public void close() {
    CompletableFuture<Void> reg = CompletableFuture.runAsync(registry::close);
    kafka.close();
    reg.join();
  }
}
