package dev.saerl.producers.examine;

import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The queries topic read from the beginning to its end offsets: the latest record per query id of one dataset. */
public final class QueriesSnapshot {
  private QueriesSnapshot() {}

  /** Undecodable records (poison pills) are skipped: the examiner reads, it does not judge the topic. */
  public static List<Query> read(Properties client, Topics topics, String dataset, Duration max) {
    Topic<String, Query> queries = topics.get(TopicSpecs.QUERIES);
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, Query> latest = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(queries.name(), max).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, max);
      long deadline = System.nanoTime() + max.toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + queries.name() + " did not reach its end offsets " + end + " within " + max);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String key = r.key() == null ? null : queries.keySerde().deserializer().deserialize(r.topic(), r.key());
          if (r.value() == null) {
            latest.remove(key);
            continue;
          }
          Query q;
          try {
            q = queries.valueSerde().deserializer().deserialize(r.topic(), r.value());
          } catch (RuntimeException poison) {
            continue;
          }
          if (dataset.equals(q.getDataset())) {
            latest.put(q.getQueryId(), q);
          }
        }
      }
    }
    return List.copyOf(latest.values());
  }
}
