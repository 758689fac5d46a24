package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedKafka;
import dev.saerl.app.embedded.EmbeddedRegistry;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.producers.ingest.IngestSummary;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry is down when a producer first needs it: the producer waits, says so, and loses nothing once it is back. */
@Tag("integration")
class RegistryOutageTest {
  @TempDir
  Path dir;

  @Test
  void anIngestStartedWhileTheRegistryIsDownWaitsAndPublishesEverything() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path dataset = dir.resolve("rows.jsonl");
    Files.write(dataset, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, 50));
    Path data = dir.resolve("data");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data)) {
      String url;
      try (EmbeddedRegistry registry = EmbeddedRegistry.start(data, Duration.ofSeconds(90));
           HttpSchemaRegistry client = new HttpSchemaRegistry(registry.confluentUrl())) {
        url = registry.confluentUrl();
        Topics topics = new Topics("o.", client);
        EmbeddedStack.createTopics(kafka.bootstrapServers(), topics);
        topics.registerSchemas();
      } // the registry is down from here
      Properties props = new Properties();
      props.put("bootstrap.servers", kafka.bootstrapServers());
      CompletableFuture<EmbeddedRegistry> restarted = CompletableFuture.supplyAsync(() -> {
        try {
          Thread.sleep(3000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return EmbeddedRegistry.start(data, Duration.ofSeconds(90)); // same data, same port
      });
      IngestSummary s;
      try (HttpSchemaRegistry fresh = new HttpSchemaRegistry(url, Duration.ofSeconds(90)); // no cached schema ids
           KafkaQuerySink sink = new KafkaQuerySink(props, new Topics("o.", fresh))) {
        s = new Ingestor("arith", Split.DEFAULT, sink).ingest(dataset, b -> {});
      }
      try (EmbeddedRegistry registry = restarted.join();
           HttpSchemaRegistry client = new HttpSchemaRegistry(registry.confluentUrl())) {
        assertEquals(url, registry.confluentUrl(), "the registry came back on its port");
        assertEquals(50, s.published());
        List<Query> queries = TopicReader.read(kafka.bootstrapServers(), new Topics("o.", client).get(TopicSpecs.QUERIES), 50,
            Duration.ofSeconds(30));
        assertEquals(50, queries.size(), "nothing lost while the registry was down");
      }
    }
  }
}
