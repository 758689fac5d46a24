package dev.saerl.schemas.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A registry in memory, for unit tests only: ids are global and stable per schema text, and
 * BACKWARD compatibility is checked with Avro's own reader/writer rules against the latest version.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
  private final Map<Integer, Schema> byId = new HashMap<>();
  private final Map<String, Integer> idByText = new HashMap<>();
  private final Map<String, List<Integer>> versions = new HashMap<>();
  private final Map<String, Compatibility> compatibility = new HashMap<>();

  @Override
  public synchronized int register(String subject, Schema schema) {
    List<Integer> ids = versions.computeIfAbsent(subject, s -> new ArrayList<>());
    Integer existing = idByText.get(schema.toString());
    if (existing != null && ids.contains(existing)) {
      return existing;
    }
    CompatibilityResult check = testCompatibility(subject, schema);
    if (!check.compatible()) {
      throw new SchemaRegistryException("incompatible schema for " + subject + ": " + check.messages(), 409,
          SchemaRegistryException.INCOMPATIBLE, null);
    }
    int id = idByText.computeIfAbsent(schema.toString(), t -> idByText.size() + 1);
    byId.put(id, schema);
    ids.add(id);
    return id;
  }

  @Override
  public synchronized int idOf(String subject, Schema schema) {
    Integer id = idByText.get(schema.toString());
    if (id == null || !versions.getOrDefault(subject, List.of()).contains(id)) {
      throw new SchemaRegistryException("schema not found under " + subject, 404, SchemaRegistryException.SCHEMA_NOT_FOUND, null);
    }
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema s = byId.get(id);
    if (s == null) {
      throw new SchemaRegistryException("schema " + id + " not found", 404, SchemaRegistryException.SCHEMA_NOT_FOUND, null);
    }
    return s;
  }

  @Override
  public synchronized RegisteredSchema latest(String subject) {
    List<Integer> ids = versions.get(subject);
    if (ids == null || ids.isEmpty()) {
      throw new SchemaRegistryException("subject " + subject + " not found", 404, SchemaRegistryException.SUBJECT_NOT_FOUND, null);
    }
    int id = ids.get(ids.size() - 1);
    return new RegisteredSchema(subject, id, ids.size(), byId.get(id));
  }

  @Override
  public synchronized CompatibilityResult testCompatibility(String subject, Schema schema) {
    List<Integer> ids = versions.getOrDefault(subject, List.of());
    if (ids.isEmpty() || compatibility.getOrDefault(subject, Compatibility.BACKWARD) == Compatibility.NONE) {
      return new CompatibilityResult(true, List.of());
    }
    Schema previous = byId.get(ids.get(ids.size() - 1));
    // BACKWARD: a reader with the new schema must read data written with the previous one
    var result = SchemaCompatibility.checkReaderWriterCompatibility(schema, previous);
    boolean ok = result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    return new CompatibilityResult(ok, ok ? List.of() : List.of(result.getDescription()));
  }

  @Override
  public synchronized void setCompatibility(String subject, Compatibility level) {
    compatibility.put(subject, level);
  }

  @Override
  public synchronized List<String> subjects() {
    return List.copyOf(versions.keySet());
  }

  @Override
  public String describe() {
    return "in-memory registry";
  }
}
