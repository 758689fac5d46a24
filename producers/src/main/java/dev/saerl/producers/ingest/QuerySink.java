package dev.saerl.producers.ingest;

import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SplitPin;

/** Where ingest publishes: the queries, dead-letters and dataset-splits topics, in production. */
public interface QuerySink extends AutoCloseable {
  /** The split the dataset was pinned to by its first ingest, or null if it has none yet. */
  SplitPin pinnedSplit(String dataset);

  /** Records the dataset's split (before any of its queries is published). */
  void pinSplit(SplitPin pin);

  void query(Query query);

  void deadLetter(DeadLetter deadLetter);

  /** Blocks until everything sent so far is acknowledged; throws if any send failed. */
  void flush();

  @Override
  void close();
}
