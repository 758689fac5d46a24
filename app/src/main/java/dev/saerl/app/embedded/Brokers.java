package dev.saerl.app.embedded;

/** The Kafka the embedded stack runs: one in-process node ({@link EmbeddedKafka}) or a {@link KafkaCluster}. */
public interface Brokers extends AutoCloseable {
  /** Every node's address, comma-separated. */
  String bootstrapServers();

  @Override
  void close();
}
