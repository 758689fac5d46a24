package dev.saerl.workers.inference;

import java.util.List;

/** Generates continuations for a batch of requests; results come back in request order. */
public interface Generator extends AutoCloseable {
  List<GenerationResult> generate(List<GenerationRequest> batch);

  @Override
  default void close() {}
}
