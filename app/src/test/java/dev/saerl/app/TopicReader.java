package dev.saerl.app;

import dev.saerl.schemas.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Reads a topic's committed records from the start, for integration tests. */
public final class TopicReader {
  private TopicReader() {}

  /** A read_committed consumer assigned every partition of {@code topic}, at the beginning. */
  private static <V> KafkaConsumer<String, V> fromTheStart(String bootstrap, Topic<String, V> topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<String, V> c = new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    List<TopicPartition> parts = c.partitionsFor(topic.name()).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    c.assign(parts);
    c.seekToBeginning(parts);
    return c;
  }

  /** Reads until {@code expected} records arrived or {@code max} has passed; returns what arrived. */
  public static <V> List<V> read(String bootstrap, Topic<String, V> topic, int expected, Duration max) {
    List<V> out = new ArrayList<>();
    try (KafkaConsumer<String, V> c = fromTheStart(bootstrap, topic)) {
      long deadline = System.nanoTime() + max.toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  /**
   * Reads every committed record up to the topic's end (its last stable offset, read_committed) at
   * the time of the call; fails when that takes longer than {@code max}, rather than returning part.
   */
  public static <V> List<V> readToEnd(String bootstrap, Topic<String, V> topic, Duration max) {
    List<V> out = new ArrayList<>();
    try (KafkaConsumer<String, V> c = fromTheStart(bootstrap, topic)) {
      List<TopicPartition> parts = List.copyOf(c.assignment());
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      long deadline = System.nanoTime() + max.toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(topic.name() + " not read to its end in " + max + " (" + out.size() + " records so far)");
        }
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }
}
