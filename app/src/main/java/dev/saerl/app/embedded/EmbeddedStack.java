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
 * The embedded default: a real broker and a real schema registry, started in parallel on free
 * loopback ports under one data dir, with saerl's topics created and its schemas registered.
 */
public final class EmbeddedStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedStack.class);

  private final EmbeddedKafka kafka;
  private final EmbeddedRegistry registry;
  private final Map<String, Integer> schemaIds;

  private EmbeddedStack(EmbeddedKafka kafka, EmbeddedRegistry registry, Map<String, Integer> schemaIds) {
    this.kafka = kafka;
    this.registry = registry;
    this.schemaIds = schemaIds;
  }

  public static EmbeddedStack start(Path dataDir, String topicPrefix) {
    CompletableFuture<EmbeddedRegistry> registry =
        CompletableFuture.supplyAsync(() -> EmbeddedRegistry.start(dataDir, Duration.ofSeconds(90)));
    EmbeddedKafka kafka;
    try {
      kafka = EmbeddedKafka.start(dataDir);
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

  /** Creates every topic that does not exist yet. */
  public static void createTopics(String bootstrapServers, Topics topics) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (TopicSpec<?> spec : TopicSpecs.ALL) {
        if (!existing.contains(topics.get(spec).name())) {
          missing.add(topics.newTopic(spec, (short) 1));
        }
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
        log.info("created {} topics", missing.size());
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
