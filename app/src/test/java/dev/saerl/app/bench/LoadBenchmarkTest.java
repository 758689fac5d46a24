package dev.saerl.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The load benchmark end to end at a small size (200 queries, 2,000 samples) on the real broker,
 * registry and Streams app: its own exact check passes (every sample and every per-feature
 * observation produced is counted once). Not timed: the deadline only bounds a hang.
 */
@Tag("integration")
class LoadBenchmarkTest {
  @Test
  void smallFloodIsCountedExactly() throws Exception {
    LoadBenchmark.Result r = LoadBenchmark.run(200, 2_000, Duration.ofMinutes(10));
    assertEquals(2_000, r.samplesExpected());
    assertTrue(r.observationsExpected() > r.samplesExpected(), "observations produced: " + r.observationsExpected());
    assertEquals(java.util.List.of(), r.losses());
  }
}
