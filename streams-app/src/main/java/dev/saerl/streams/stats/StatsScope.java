package dev.saerl.streams.stats;

/**
 * What one set of statistics is computed from: the samples of one dataset written by one model
 * version and encoded by one SAE. Statistics, totals, examples and plans are kept per scope and
 * never pooled across scopes, so a plan's model version and SAE are those its statistics came from.
 * <p>
 * Store keys are {@code dataset/model_version/sae_id} (the scope) and {@code dataset/model_version/sae_id/feature}
 * (a feature in it), each part with '%' and '/' escaped ({@code %25}, {@code %2F}), so a key names one scope
 * and a prefix scan of {@link #datasetPrefix} or {@link #prefix} reads one dataset or one scope and nothing else.
 */
public record StatsScope(String dataset, String modelVersion, String saeId) {
  public StatsScope {
    if (dataset == null || modelVersion == null || saeId == null) {
      throw new IllegalArgumentException("a statistics scope needs a dataset, a model version and an SAE id (empty is allowed)");
    }
  }

  /** The scope's key in the totals and plan stores. */
  public String key() {
    return escape(dataset) + "/" + escape(modelVersion) + "/" + escape(saeId);
  }

  /** The key of one feature's sums and examples in this scope. */
  public String featureKey(int featureId) {
    return prefix() + featureId;
  }

  /** Every feature key of this scope starts with this, and no other key does. */
  public String prefix() {
    return key() + "/";
  }

  /** Every scope and feature key of {@code dataset} starts with this, and no other key does. */
  public static String datasetPrefix(String dataset) {
    return escape(dataset) + "/";
  }

  /** The scope a scope key names; null when {@code key} is not one (a feature key, a bare dataset). */
  public static StatsScope parse(String key) {
    String[] parts = key.split("/", -1);
    return parts.length == 3 ? new StatsScope(unescape(parts[0]), unescape(parts[1]), unescape(parts[2])) : null;
  }

  static String escape(String s) {
    return s.replace("%", "%25").replace("/", "%2F");
  }

  static String unescape(String s) {
    return s.replace("%2F", "/").replace("%25", "%");
  }
}
