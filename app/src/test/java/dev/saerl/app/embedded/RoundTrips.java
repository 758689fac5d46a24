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
          producer.send(record(t, "k-" + r.hashCode(), r));
        }
      }
      producer.commitTransaction();
    }
    return sent;
  }

  @SuppressWarnings("unchecked")
  static <V> ProducerRecord<byte[], byte[]> record(Topic<String, V> t, String key, SpecificRecord r) {
    return t.record(key, (V) r);
  }

  /** Reads every topic from the start (committed records only) until {@code expected} records per topic arrived. */
  static void assertReadBack(String bootstrap, Topics topics, Map<String, List<SpecificRecord>> expected) {
    for (Topic<String, ?> t : topics.all()) {
      assertEquals(sorted(expected.get(t.name())), sorted(dev.saerl.app.TopicReader.read(bootstrap, t, expected.get(t.name()).size(), Duration.ofSeconds(60))), t.name());
    }
  }

  /** Partitions interleave, so compare contents, not order. */
  static List<String> sorted(List<?> records) {
    return records.stream().map(String::valueOf).sorted().toList();
  }

}
