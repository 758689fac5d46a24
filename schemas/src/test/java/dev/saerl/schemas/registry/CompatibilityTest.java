package dev.saerl.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.Query;
import org.apache.avro.Schema;
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
}
