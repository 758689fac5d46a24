package dev.saerl.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.SampleRecords;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.TopicSpec;
import dev.saerl.schemas.topics.TopicSpecs;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

  @Test
  void everyTopicsRecordRoundTrips() {
    for (TopicSpec<?> spec : TopicSpecs.ALL) {
      roundTrip(spec);
    }
  }

  private <V extends SpecificRecord> void roundTrip(TopicSpec<V> spec) {
    AvroSerde<V> serde = new AvroSerde<>(registry, spec.valueType(), false, true);
    for (V record : SampleRecords.random(spec.valueType(), 20, spec.baseName().hashCode())) {
      byte[] bytes = serde.serialize(spec.baseName(), record);
      assertEquals(record, serde.deserialize(spec.baseName(), bytes), spec.baseName());
    }
  }

  @Test
  void bytesAreMagicZeroThenBigEndianSchemaIdThenAvroBinary() throws Exception {
    AvroSerde<Query> serde = new AvroSerde<>(registry, Query.class, false, true);
    Query q = query();
    byte[] bytes = serde.serialize("saerl.queries", q);
    int id = registry.idOf("saerl.queries-value", Query.getClassSchema());
    assertEquals(0, bytes[0]);
    assertEquals(id, ByteBuffer.wrap(bytes, 1, 4).getInt());
    var avro = new java.io.ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(avro, null);
    new SpecificDatumWriter<>(Query.class).write(q, enc);
    enc.flush();
    assertArrayEquals(avro.toByteArray(), Arrays.copyOfRange(bytes, 5, bytes.length));
  }

  @Test
  void aRecordThatIsNotAvroIsRefusedNamingTheTopic() {
    AvroSerde<Query> serde = new AvroSerde<>(registry, Query.class, false, true);
    var e = assertThrows(SerializationException.class,
        () -> serde.deserialize("saerl.queries", "{\"question\":1}".getBytes()));
    assertTrue(e.getMessage().contains("saerl.queries") && e.getMessage().contains("0x7b"), e.getMessage());
    assertThrows(SerializationException.class, () -> serde.deserialize("saerl.queries", new byte[] {0, 1}));
  }

  @Test
  void anUnknownSchemaIdIsRefusedNamingTheId() {
    AvroSerde<Query> serde = new AvroSerde<>(registry, Query.class, false, true);
    byte[] bytes = serde.serialize("saerl.queries", query());
    ByteBuffer.wrap(bytes).putInt(1, 4242);
    var e = assertThrows(SerializationException.class, () -> serde.deserialize("saerl.queries", bytes));
    assertTrue(e.getMessage().contains("4242"), e.getMessage());
  }

  @Test
  void nullStaysNullForTombstones() {
    AvroSerde<Query> serde = new AvroSerde<>(registry, Query.class, false, true);
    assertNull(serde.serialize("t", null));
    assertNull(serde.deserialize("t", null));
  }

  public static Query query() {
    return Query.newBuilder().setQueryId("q1").setDataset("demo").setGroupId("g1")
        .setQuestion("Mia has 3 apples. She buys 4 more. How many apples does Mia have now?")
        .setReferenceAnswer("7").setReferenceSolution("3 + 4 = 7. The answer is 7.")
        .setSplit(Split.KNOWN).setFormat(SourceFormat.GENERIC).setSourceFile("demo.jsonl").setSourceLine(1).build();
  }
}
