package dev.saerl.schemas.topics;

import java.time.Duration;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * The fixed facts of one topic: its base name (the prefix is added by {@link Topics}), what its
 * values are, how many partitions, and how long records live. Keys are UTF-8 strings.
 *
 * @param retention how long records are kept; null means forever (compacted topics)
 */
public record TopicSpec<V extends SpecificRecord>(
    String baseName, Class<V> valueType, String keyDoc, int partitions, CleanupPolicy cleanup, Duration retention) {

  public enum CleanupPolicy {
    DELETE("delete"), COMPACT("compact");

    public final String config;

    CleanupPolicy(String config) {
      this.config = config;
    }
  }

  public TopicSpec {
    Objects.requireNonNull(baseName, "baseName");
    Objects.requireNonNull(valueType, "valueType");
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + baseName + ": partitions must be at least 1, got " + partitions);
    }
  }
}
