package dev.saerl.producers.ingest;

import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;

/** Where ingest publishes: the queries and dead-letters topics, in production. */
public interface QuerySink extends AutoCloseable {
  void query(Query query);

  void deadLetter(DeadLetter deadLetter);

  /** Blocks until everything sent so far is acknowledged; throws if any send failed. */
  void flush();

  @Override
  void close();
}
