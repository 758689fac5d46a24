package dev.saerl.schemas.topics;

import java.util.Objects;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;

/** A topic with its full name and serdes: what a producer, consumer or topology needs. */
public record Topic<K, V>(String name, TopicSpec<?> spec, Serde<K> keySerde, Serde<V> valueSerde) {
  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
  }

  /** The record as a byte producer sends it, serialized with this topic's serdes. */
  public ProducerRecord<byte[], byte[]> record(K key, V value) {
    return new ProducerRecord<>(name, keySerde.serializer().serialize(name, key), valueSerde.serializer().serialize(name, value));
  }

  /** The subject the value schema is registered under (TopicNameStrategy). */
  public String valueSubject() {
    return name + "-value";
  }
}
