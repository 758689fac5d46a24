package dev.saerl.streams.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The (model version, SAE) pairs a dataset has statistics for, oldest first. A pair's age is the
 * timestamp of its earliest sample counted ({@code firstSeenMs}): the minimum over records, so the
 * order is the same whatever order a replay delivers them in, and a late sample of an old version
 * does not make it new again. Ties go by model version, then SAE id.
 */
public record DatasetVersions(List<Version> versions) {
  public static final DatasetVersions NONE = new DatasetVersions(List.of());
  static final Comparator<Version> AGE = Comparator.comparingLong(Version::firstSeenMs)
      .thenComparing(Version::modelVersion).thenComparing(Version::saeId);

  /** One (model version, SAE) pair of a dataset, and when its first sample was written. */
  public record Version(String modelVersion, String saeId, long firstSeenMs) {
    public StatsScope scope(String dataset) {
      return new StatsScope(dataset, modelVersion, saeId);
    }
  }

  public DatasetVersions {
    versions = List.copyOf(versions);
  }

  /** These versions with {@code scope} seen at {@code timestampMs} (added, or its first sighting moved earlier). */
  DatasetVersions seen(StatsScope scope, long timestampMs) {
    List<Version> next = new ArrayList<>(versions.size() + 1);
    long first = timestampMs;
    for (Version v : versions) {
      if (matches(v, scope)) {
        first = Math.min(first, v.firstSeenMs());
      } else {
        next.add(v);
      }
    }
    next.add(new Version(scope.modelVersion(), scope.saeId(), first));
    next.sort(AGE);
    return new DatasetVersions(next);
  }

  /** These versions without {@code scope} (its statistics emptied, e.g. every sample re-sent under another SAE). */
  DatasetVersions without(StatsScope scope) {
    return new DatasetVersions(versions.stream().filter(v -> !matches(v, scope)).toList());
  }

  boolean contains(StatsScope scope) {
    return versions.stream().anyMatch(v -> matches(v, scope));
  }

  /** The newest scope of {@code dataset}; null when there is none. */
  public StatsScope newest(String dataset) {
    return versions.isEmpty() ? null : versions.get(versions.size() - 1).scope(dataset);
  }

  /** The newest scope of {@code dataset} with model version {@code modelVersion} (and SAE {@code saeId} unless null). */
  public StatsScope newest(String dataset, String modelVersion, String saeId) {
    for (int i = versions.size() - 1; i >= 0; i--) {
      Version v = versions.get(i);
      if (v.modelVersion().equals(modelVersion) && (saeId == null || v.saeId().equals(saeId))) {
        return v.scope(dataset);
      }
    }
    return null;
  }

  /** Newest first. */
  public List<Version> newestFirst() {
    return versions.reversed();
  }

  private static boolean matches(Version v, StatsScope s) {
    return v.modelVersion().equals(s.modelVersion()) && v.saeId().equals(s.saeId());
  }
}
