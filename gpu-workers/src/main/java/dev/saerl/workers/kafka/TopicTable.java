package dev.saerl.workers.kafka;

import dev.saerl.schemas.topics.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compacted topic read whole into memory by a group-less consumer over all its partitions, and
 * kept current with {@link #catchUp}: the corrector's view of queries and steering plans, the
 * generator's view of model versions.
 */
public final class TopicTable<V> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopicTable.class);
  private final Topic<String, V> topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Function<V, String> keyOf;
  private final Map<String, V> values = new ConcurrentHashMap<>();

  public TopicTable(Properties client, Topic<String, V> topic, Function<V, String> keyOf) {
    this.topic = topic;
    this.keyOf = keyOf;
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
  }

  /** Reads everything committed up to now; returns whether anything changed. */
  public boolean catchUp() {
    boolean changed = false;
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (behind(end) && System.nanoTime() < deadline) {
      for (var r : consumer.poll(Duration.ofMillis(100))) {
        if (r.value() == null) {
          continue;
        }
        try {
          V v = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
          values.put(keyOf.apply(v), v);
          changed = true;
        } catch (SerializationException e) {
          log.warn("skipping unreadable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
      }
    }
    return changed;
  }

  private boolean behind(Map<TopicPartition, Long> end) {
    for (var e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return true;
      }
    }
    return false;
  }

  public V get(String key) {
    return values.get(key);
  }

  public java.util.Collection<V> values() {
    return values.values();
  }

  @Override
  public void close() {
    consumer.close();
  }
}
