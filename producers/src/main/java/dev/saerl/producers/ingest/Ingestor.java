package dev.saerl.producers.ingest;

import dev.saerl.core.deadletter.DeadLetters;
import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Ingests one dataset file: every row is parsed and validated; good rows are published to queries
 * (keyed by their stable id, so re-ingesting the same file changes nothing), bad rows go to
 * dead-letters with file, line and reason, and the rows around a bad one still go in.
 */
public final class Ingestor {
  private final RowParser parser;
  private final QuerySink sink;
  private final String dataset;
  private final Split split;

  public Ingestor(String dataset, Split split, QuerySink sink) {
    if (dataset == null || !dataset.matches("[A-Za-z0-9._-]{1,100}")) {
      throw new IllegalArgumentException("dataset name '" + dataset + "' must be 1-100 letters, digits, '.', '_' or '-'");
    }
    this.parser = new RowParser(dataset, split);
    this.sink = sink;
    this.dataset = dataset;
    this.split = split;
  }

  /**
   * Checks the dataset's pinned split before anything is published: the first ingest pins it, a
   * later one with another seed or other fractions is refused, so no query moves between splits.
   */
  void checkPin(Path file) {
    var pinned = sink.pinnedSplit(dataset);
    if (pinned == null) {
      sink.pinSplit(split.pin(dataset, file.toString()));
      return;
    }
    Split was = Split.of(pinned);
    if (!was.equals(split)) {
      throw new SplitMismatchException("dataset '" + dataset + "' was ingested (first from " + pinned.getPinnedBy()
          + ") with split seed " + was.seed() + ", unknown " + was.unknownFraction() + ", val " + was.valFraction()
          + ", select A " + was.selectAFraction() + ", select B " + was.selectBFraction() + "; this ingest asks for seed "
          + split.seed() + ", unknown " + split.unknownFraction() + ", val " + split.valFraction() + ", select A "
          + split.selectAFraction() + ", select B " + split.selectBFraction()
          + ". Re-ingesting with another split would move queries between KNOWN and UNKNOWN: use the pinned values, "
          + "or another dataset name");
    }
  }

  /** A dataset re-ingested with a split other than the one it is pinned to. */
  public static final class SplitMismatchException extends IllegalStateException {
    SplitMismatchException(String message) {
      super(message);
    }
  }

  public IngestSummary ingest(Path file, LongConsumer bytesRead) {
    checkPin(file);
    long[] counts = new long[4]; // read, published, known, unknown
    Map<String, Long> rejected = new HashMap<>();
    Set<String> seen = new HashSet<>();
    RowSource.read(file, row -> {
      counts[0]++;
      RowParser.Parsed p = parser.parse(row);
      Rejection r = p.rejection();
      if (r == null && !seen.add(p.query().getQueryId())) {
        r = new Rejection("duplicate_id", "id '" + p.query().getQueryId() + "' appeared earlier in this file");
      }
      if (r != null) {
        rejected.merge(r.code(), 1L, Long::sum);
        sink.deadLetter(deadLetter(row, r));
        return;
      }
      Query q = p.query();
      sink.query(q);
      counts[1]++;
      counts[q.getSplit() == dev.saerl.schemas.avro.Split.UNKNOWN ? 3 : 2]++;
    }, bytesRead);
    sink.flush();
    return new IngestSummary(file.toString(), counts[0], counts[1], counts[2], counts[3], rejected);
  }

  static DeadLetter deadLetter(RawRow row, Rejection r) {
    return DeadLetters.of(row.file(), "line " + row.line(), "ingest", r.code(), row.file() + " line " + row.line() + ": " + r.reason(),
        row.raw() == null ? null : row.raw().getBytes(StandardCharsets.UTF_8));
  }
}
