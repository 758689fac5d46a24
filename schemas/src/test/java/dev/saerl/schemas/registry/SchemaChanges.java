package dev.saerl.schemas.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;

/** Schema edits for evolution tests: one optional (defaulted) or one required field added, or one removed. */
public final class SchemaChanges {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SchemaChanges() {}

  public static Schema withOptionalField(Schema schema, String name) {
    return withField(schema, JSON.createObjectNode().put("name", name).put("doc", "test field")
        .putNull("default").set("type", JSON.createArrayNode().add("null").add("string")));
  }

  public static Schema withRequiredField(Schema schema, String name) {
    return withField(schema, JSON.createObjectNode().put("name", name).put("type", "string").put("doc", "test field"));
  }

  /** The schema with the named field removed: e.g. a record as it was before that field was added. */
  public static Schema withoutField(Schema schema, String name) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(schema.toString());
      ArrayNode fields = (ArrayNode) root.get("fields");
      for (int i = 0; i < fields.size(); i++) {
        if (fields.get(i).get("name").asText().equals(name)) {
          fields.remove(i);
          return new Schema.Parser().parse(root.toString());
        }
      }
      throw new IllegalArgumentException(schema.getFullName() + " has no field " + name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Schema withField(Schema schema, ObjectNode field) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(schema.toString());
      ((ArrayNode) root.get("fields")).add(field);
      return new Schema.Parser().parse(root.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
