package dev.saerl.app.embedded;

import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The same round trip as {@link EmbeddedStackTest} against Kafka and Apicurio in containers. Runs
 * where a Docker engine answers; skipped (not failed) where none does, as on saerl's CI machines.
 */
@Tag("integration")
@Testcontainers(disabledWithoutDocker = true)
class ContainerStackTest {
  @Container
  static final KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.0");

  @Container
  static final GenericContainer<?> registry = new GenericContainer<>("apicurio/apicurio-registry:3.0.6")
      .withExposedPorts(8080)
      .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200));

  @Test
  void everyTopicRoundTripsThroughContainerisedServices() {
    String url = "http://" + registry.getHost() + ":" + registry.getMappedPort(8080) + "/apis/ccompat/v7";
    try (HttpSchemaRegistry client = new HttpSchemaRegistry(url)) {
      Topics topics = new Topics("tc.", client);
      EmbeddedStack.createTopics(kafka.getBootstrapServers(), topics);
      topics.registerSchemas();
      var sent = RoundTrips.produceEveryTopic(kafka.getBootstrapServers(), topics, 3, 7);
      RoundTrips.assertReadBack(kafka.getBootstrapServers(), topics, sent);
    }
  }
}
