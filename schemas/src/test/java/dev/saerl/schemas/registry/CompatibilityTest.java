package dev.saerl.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.Query;
import java.io.ByteArrayOutputStream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

/** BACKWARD decisions on saerl's own Query schema; the same cases run against Apicurio in the app's integration test. */
class CompatibilityTest {
  private static final String SUBJECT = "saerl.queries-value";

  @Test
  void addingAnOptionalFieldIsBackwardCompatible() {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    registry.register(SUBJECT, Query.getClassSchema());
    Schema evolved = SchemaChanges.withOptionalField(Query.getClassSchema(), "difficulty");
    assertTrue(registry.testCompatibility(SUBJECT, evolved).compatible());
    registry.register(SUBJECT, evolved);
    assertEquals(2, registry.latest(SUBJECT).version());
  }

  @Test
  void addingARequiredFieldIsRefused() {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    registry.register(SUBJECT, Query.getClassSchema());
    Schema broken = SchemaChanges.withRequiredField(Query.getClassSchema(), "difficulty");
    CompatibilityResult result = registry.testCompatibility(SUBJECT, broken);
    assertFalse(result.compatible());
    var e = assertThrows(SchemaRegistryException.class, () -> registry.register(SUBJECT, broken));
    assertEquals(SchemaRegistryException.INCOMPATIBLE, e.errorCode());
  }

  @Test
  void theQuerySchemaWithProvenanceIsBackwardCompatibleWithTheOneWithoutAndReadsOldRecordsAsNull() throws Exception {
    Schema before = SchemaChanges.withoutField(Query.getClassSchema(), "provenance");
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    registry.register(SUBJECT, before);
    assertTrue(registry.testCompatibility(SUBJECT, Query.getClassSchema()).compatible());

    GenericRecord old = new GenericData.Record(before);
    for (Schema.Field f : before.getFields()) {
      old.put(f.name(), switch (f.schema().getType()) {
        case ENUM -> new GenericData.EnumSymbol(f.schema(), f.schema().getEnumSymbols().getFirst());
        case LONG -> 3L;
        case UNION -> null;
        default -> "x";
      });
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
    new GenericDatumWriter<GenericRecord>(before).write(old, encoder);
    encoder.flush();
    Query read = new SpecificDatumReader<Query>(before, Query.getClassSchema())
        .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    assertEquals("x", read.getQueryId());
    assertNull(read.getProvenance(), "a dataset row written before provenance existed reads as no provenance");
  }
}
