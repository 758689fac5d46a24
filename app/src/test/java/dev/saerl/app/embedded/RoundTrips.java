package dev.saerl.app.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.saerl.schemas.SampleRecords;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpec;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Produces records of every topic through the real registry and reads them back. Shared by the embedded and container tests. */
final class RoundTrips {
  private RoundTrips() {}

  /** Writes {@code perTopic} random records to every topic in one transaction; returns them by topic. */
  static Map<String, List<SpecificRecord>> produceEveryTopic(String bootstrap, Topics topics, int perTopic, long seed) {
    Map<String, List<SpecificRecord>> sent = new java.util.LinkedHashMap<>();
    for (TopicSpec<?> spec : TopicSpecs.ALL) {
      sent.put(topics.get(spec).name(), new ArrayList<>(SampleRecords.random(spec.valueType(), perTopic, seed)));
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "roundtrip-" + seed);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p,
        new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (Topic<String, ?> t : topics.all()) {
        for (SpecificRecord r : sent.get(t.name())) {
          producer.send(new ProducerRecord<>(t.name(), t.keySerde().serializer().serialize(t.name(), "k-" + r.hashCode()),
              serialize(t, r)));
        }
      }
      producer.commitTransaction();
    }
    return sent;
  }

  @SuppressWarnings("unchecked")
  static <V> byte[] serialize(Topic<String, V> t, SpecificRecord r) {
    return t.valueSerde().serializer().serialize(t.name(), (V) r);
  }

  /** Reads every topic from the start (committed records only) until {@code expected} records per topic arrived. */
  static void assertReadBack(String bootstrap, Topics topics, Map<String, List<SpecificRecord>> expected) {
    for (Topic<String, ?> t : topics.all()) {
      assertEquals(sorted(expected.get(t.name())), sorted(readAll(bootstrap, t, expected.get(t.name()).size())), t.name());
    }
  }

  /** Partitions interleave, so compare contents, not order. */
  static List<String> sorted(List<?> records) {
    return records.stream().map(String::valueOf).sorted().toList();
  }

  static <V> List<V> readAll(String bootstrap, Topic<String, V> topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<String, V>> got = new ArrayList<>();
    try (KafkaConsumer<String, V> c = new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      var partitions = c.partitionsFor(topic.name()).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (got.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(got::add);
      }
    }
    List<V> values = new ArrayList<>();
    got.forEach(r -> values.add(r.value()));
    return values;
  }
}
