package dev.saerl.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.bench.LoadBenchmark.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load benchmark's exact comparison: equal totals pass; one missing or one doubled count fails, naming which. */
class LoadCheckTest {
  static final Result EXACT = new Result(1_000, 1_000, 2_000, 2_000, 112_000, 112_000);

  @Test
  void equalTotalsPass() {
    assertEquals(List.of(), EXACT.losses());
  }

  @Test
  void aMissingSampleFails() {
    List<String> losses = new Result(1_000, 1_000, 2_000, 1_999, 112_000, 112_000).losses();
    assertEquals(List.of("labelled samples: 1999 counted of 2000 produced (1 lost)"), losses);
  }

  @Test
  void aDoubledSampleFails() {
    List<String> losses = new Result(1_000, 1_000, 2_000, 2_001, 112_000, 112_000).losses();
    assertEquals(List.of("labelled samples: 2001 counted of 2000 produced (1 counted twice)"), losses);
  }

  @Test
  void aMissingOrDoubledObservationFails() {
    assertEquals(List.of("feature observations: 111999 counted of 112000 produced (1 lost)"),
        new Result(1_000, 1_000, 2_000, 2_000, 112_000, 111_999).losses());
    assertEquals(List.of("feature observations: 112001 counted of 112000 produced (1 counted twice)"),
        new Result(1_000, 1_000, 2_000, 2_000, 112_000, 112_001).losses());
  }

  @Test
  void anUnpublishedQueryFails() {
    List<String> losses = new Result(1_000, 999, 2_000, 2_000, 112_000, 112_000).losses();
    assertEquals(1, losses.size());
    assertTrue(losses.get(0).startsWith("queries published: 999 counted of 1000"), losses.get(0));
  }
}
