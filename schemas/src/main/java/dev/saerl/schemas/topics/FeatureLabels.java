package dev.saerl.schemas.topics;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The key of a feature-labels record: the examiner that writes it and the Streams app that serves it agree on it here. */
public final class FeatureLabels {
  private FeatureLabels() {}

  public static String key(String dataset, String modelVersion, String saeId, int featureId) {
    return enc(dataset) + "/" + enc(modelVersion) + "/" + enc(saeId) + "/" + featureId;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
