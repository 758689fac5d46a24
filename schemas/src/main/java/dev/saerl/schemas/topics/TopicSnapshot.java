package dev.saerl.schemas.topics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A topic read once from the beginning to the end offsets it had when the read began (committed records only),
 * without a consumer group: what a command that looks at a topic's contents, rather than following it, needs.
 */
public final class TopicSnapshot {
  private TopicSnapshot() {}

  /** What is done with each record: {@code value} is null for a tombstone; {@code timestampMs} is the record's. */
  @FunctionalInterface
  public interface Each<K, V> {
    void accept(K key, V value, long timestampMs);
  }

  /**
   * Hands every record to {@code each} in partition order: the value is null for a tombstone. Records whose value
   * does not decode (poison pills) are skipped: a reader of a snapshot looks, it does not judge the topic.
   *
   * @throws IllegalStateException when the end offsets are not reached within {@code max}
   */
  public static <K, V> void read(Properties client, Topic<K, V> topic, Duration max, Each<K, V> each) {
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic.name(), max).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, max);
      long deadline = System.nanoTime() + max.toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + topic.name() + " did not reach its end offsets " + end + " within " + max);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          K key = r.key() == null ? null : topic.keySerde().deserializer().deserialize(r.topic(), r.key());
          V value;
          try {
            value = r.value() == null ? null : topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
          } catch (RuntimeException poison) {
            continue;
          }
          each.accept(key, value, r.timestamp());
        }
      }
    }
  }
}
