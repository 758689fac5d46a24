package dev.saerl.schemas.topics;

import dev.saerl.schemas.registry.Compatibility;
import dev.saerl.schemas.registry.SchemaRegistry;
import dev.saerl.schemas.serde.AvroSerde;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic registry of one deployment: every {@link TopicSpec} with the configured prefix and
 * serdes bound to one schema registry. Immutable once built.
 */
public final class Topics {
  private final String prefix;
  private final SchemaRegistry registry;
  private final Map<TopicSpec<?>, Topic<String, ?>> topics;

  public Topics(String prefix, SchemaRegistry registry) {
    if (prefix == null || !prefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("topic prefix '" + prefix + "' may hold only letters, digits, '.', '_' and '-'");
    }
    this.prefix = prefix;
    this.registry = registry;
    Map<TopicSpec<?>, Topic<String, ?>> built = new LinkedHashMap<>();
    for (TopicSpec<?> spec : TopicSpecs.ALL) {
      built.put(spec, bind(spec));
    }
    this.topics = java.util.Collections.unmodifiableMap(built);
  }

  private <V extends SpecificRecord> Topic<String, V> bind(TopicSpec<V> spec) {
    return new Topic<>(prefix + spec.baseName(), spec, Serdes.String(),
        new AvroSerde<>(registry, spec.valueType(), false, true));
  }

  @SuppressWarnings("unchecked")
  public <V extends SpecificRecord> Topic<String, V> get(TopicSpec<V> spec) {
    Topic<String, ?> t = topics.get(spec);
    if (t == null) {
      throw new IllegalArgumentException("unknown topic spec " + spec.baseName());
    }
    return (Topic<String, V>) t;
  }

  public List<Topic<String, ?>> all() {
    return List.copyOf(topics.values());
  }

  public String prefix() {
    return prefix;
  }

  public SchemaRegistry registry() {
    return registry;
  }

  /** The topic as the admin client creates it. */
  public NewTopic newTopic(TopicSpec<?> spec, short replication) {
    Map<String, String> configs = new HashMap<>();
    configs.put("cleanup.policy", spec.cleanup().config);
    configs.put("retention.ms", spec.retention() == null ? "-1" : Long.toString(spec.retention().toMillis()));
    return new NewTopic(get(spec).name(), spec.partitions(), replication).configs(configs);
  }

  /** Registers every value schema with BACKWARD compatibility; returns subject to id. */
  public Map<String, Integer> registerSchemas() {
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (Topic<String, ?> t : topics.values()) {
      AvroSerde<?> serde = (AvroSerde<?>) t.valueSerde();
      registry.setCompatibility(t.valueSubject(), Compatibility.BACKWARD);
      ids.put(t.valueSubject(), registry.register(t.valueSubject(), serde.schema()));
    }
    return ids;
  }
}
