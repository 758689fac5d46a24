package dev.saerl.app.demo;

import dev.saerl.schemas.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads every committed record of a topic up to its current end (the demo's view of results). */
final class TopicDump {
  private TopicDump() {}

  static <V> List<V> all(String bootstrap, Topic<String, V> topic) {
    return since(bootstrap, topic, 0);
  }

  /** The records written at or after {@code sinceMs} (record timestamps). */
  static <V> List<V> since(String bootstrap, Topic<String, V> topic, long sinceMs) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<V> out = new ArrayList<>();
    try (var c = new KafkaConsumer<byte[], byte[]>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic.name()).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          if (r.value() != null && r.timestamp() >= sinceMs) {
            try {
              out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
            } catch (SerializationException e) {
              // not a record of this topic's schema: the demo reports only what it can read
            }
          }
        }
      }
    }
    return out;
  }
}
