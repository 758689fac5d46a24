package dev.saerl.producers.ingest;

import java.util.Map;
import java.util.TreeMap;

/** What an ingest did: rows read, published, rejected by reason, and the split sizes. */
public record IngestSummary(String file, long rowsRead, long published, long known, long unknown, Map<String, Long> rejected) {
  public IngestSummary {
    rejected = Map.copyOf(rejected);
  }

  public long rejectedTotal() {
    return rejected.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public String toString() {
    return String.format("%s: %d rows read, %d published (%d KNOWN, %d UNKNOWN), %d rejected %s",
        file, rowsRead, published, known, unknown, rejectedTotal(), new TreeMap<>(rejected));
  }
}
