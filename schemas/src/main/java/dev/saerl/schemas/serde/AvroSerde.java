package dev.saerl.schemas.serde;

import dev.saerl.schemas.registry.SchemaRegistry;
import dev.saerl.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serde for one generated record type in the Confluent wire format. Writes under the subject
 * {@code <topic>-value} (or {@code -key}), registering the schema on first use when
 * {@code autoRegister} is set; reads any registered writer schema and resolves it to the reader's.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final SchemaRegistry registry;
  private final Schema schema;
  private final boolean isKey;
  private final boolean autoRegister;
  private final SpecificDatumWriter<T> writer;
  private final Map<String, Integer> idByTopic = new ConcurrentHashMap<>();
  private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

  public AvroSerde(SchemaRegistry registry, Class<T> type, boolean isKey, boolean autoRegister) {
    this.registry = registry;
    this.schema = SpecificData.get().getSchema(type);
    this.isKey = isKey;
    this.autoRegister = autoRegister;
    this.writer = new SpecificDatumWriter<>(schema);
  }

  public static String subject(String topic, boolean isKey) {
    return topic + (isKey ? "-key" : "-value");
  }

  public Schema schema() {
    return schema;
  }

  @Override
  public Serializer<T> serializer() {
    return this::serialize;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this::deserialize;
  }

  public byte[] serialize(String topic, T record) {
    if (record == null) {
      return null;
    }
    int id = idByTopic.computeIfAbsent(topic, this::schemaIdFor);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.writeBytes(ByteBuffer.allocate(WireFormat.HEADER_SIZE).put(WireFormat.MAGIC).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writer.write(record, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot write " + schema.getFullName() + " to topic " + topic + ": " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    ByteBuffer buffer = ByteBuffer.wrap(data);
    int id = WireFormat.readSchemaId(topic, buffer);
    SpecificDatumReader<T> reader = readers.computeIfAbsent(id, k -> readerFor(topic, k));
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, buffer.position(), buffer.remaining(), null);
    try {
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("record on topic " + topic + " with schema id " + id
          + " is not valid Avro for " + schema.getFullName() + ": " + e, e);
    }
  }

  private int schemaIdFor(String topic) {
    String subject = subject(topic, isKey);
    return autoRegister ? registry.register(subject, schema) : registry.idOf(subject, schema);
  }

  private SpecificDatumReader<T> readerFor(String topic, int id) {
    Schema writerSchema;
    try {
      writerSchema = registry.schemaById(id);
    } catch (SchemaRegistryException e) {
      throw new SerializationException("record on topic " + topic + " names schema id " + id
          + " which registry " + registry.describe() + " does not know: " + e.getMessage(), e);
    }
    return new SpecificDatumReader<>(writerSchema, schema);
  }
}
