package dev.saerl.app.serve;

import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.workers.kafka.TopicTable;
import java.util.Properties;

/**
 * The steering plans a request may name, read from steering-plans: by plan version (every plan the
 * topic still holds), or as a dataset's current plan (the newest record for the dataset's key).
 */
final class PlanBook implements AutoCloseable {
  private final TopicTable<SteeringPlan> byVersion;
  private final TopicTable<SteeringPlan> byKey;

  PlanBook(Properties client, Topic<String, SteeringPlan> topic) {
    this.byVersion = new TopicTable<>(client, topic, SteeringPlan::getPlanVersion);
    this.byKey = new TopicTable<>(client, topic, PlanBook::key);
  }

  /** The topic's key of a plan: its dataset, or dataset/variant for the other variants. */
  static String key(SteeringPlan p) {
    return "default".equals(p.getVariant()) ? p.getDataset() : p.getDataset() + "/" + p.getVariant();
  }

  synchronized SteeringPlan version(String version) {
    byVersion.catchUp();
    return byVersion.get(version);
  }

  synchronized SteeringPlan current(String dataset, String variant) {
    byKey.catchUp();
    return byKey.get("default".equals(variant) ? dataset : dataset + "/" + variant);
  }

  @Override
  public void close() {
    byVersion.close();
    byKey.close();
  }
}
