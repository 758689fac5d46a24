package dev.saerl.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The load benchmark's check: what the Streams app counted equals what was produced, and a difference is named. */
class LoadBenchmarkTest {
  @Test
  void aLostOrDoubledCountIsNamedWithItsSize() {
    assertEquals(List.of(), new LoadBenchmark.Result(10, 10, 400, 400, 900, 900).losses());
    assertEquals(List.of("labelled samples: 399 counted of 400 produced (1 lost)"),
        new LoadBenchmark.Result(10, 10, 400, 399, 900, 900).losses());
    assertEquals(List.of("queries published: 9 counted of 10 produced (1 lost)",
            "feature observations: 902 counted of 900 produced (2 counted twice)"),
        new LoadBenchmark.Result(10, 9, 400, 400, 900, 902).losses());
  }

  @Test
  @Tag("integration")
  void aSmallFloodThroughTheRealStreamsAppIsCountedExactly() throws Exception {
    LoadBenchmark.Result r = LoadBenchmark.run(200, 400, Duration.ofMinutes(4));
    assertEquals(400, r.samplesExpected());
    assertTrue(r.observationsExpected() > 400, "samples carry features: " + r);
    assertEquals(List.of(), r.losses(), r.toString());
  }
}
