package dev.saerl.app;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.saerl.streams.stats.DatasetTotals;
import dev.saerl.streams.stats.FeatureSums;
import dev.saerl.streams.stats.Recomputation;
import dev.saerl.streams.stats.StatsStores;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;

/** The Streams app's statistics stores read back and compared with a batch recomputation, for integration tests. */
public final class StatsSnapshots {
  private StatsSnapshots() {}

  /** Waits (bounded) until the instances' stores together equal the recomputation; fails with the differences. */
  public static void awaitEqual(Recomputation expected, Duration wait, KafkaStreams... instances) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    String diff = "never queried";
    while (System.nanoTime() < deadline) {
      try {
        Map<String, double[]> sums = new HashMap<>();
        Map<String, long[]> totals = new HashMap<>();
        for (KafkaStreams s : instances) {
          snapshot(s, sums, totals);
        }
        diff = expected.differences(sums, totals);
        if (diff == null) {
          return;
        }
      } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
        diff = "stores not queryable: " + e.getMessage();
      }
      Thread.sleep(250);
    }
    assertNull(diff, "statistics did not converge to the recomputation in " + wait);
  }

  /** Adds one instance's local stores to {@code sums} (per store key) and {@code totals} (per dataset). */
  public static void snapshot(KafkaStreams streams, Map<String, double[]> sums, Map<String, long[]> totals) {
    var sumStore = streams.store(StoreQueryParameters.fromNameAndType(StatsStores.FEATURE_SUMS,
        QueryableStoreTypes.<String, FeatureSums>keyValueStore()));
    var totalStore = streams.store(StoreQueryParameters.fromNameAndType(StatsStores.DATASET_TOTALS,
        QueryableStoreTypes.<String, DatasetTotals>keyValueStore()));
    try (var it = sumStore.all()) {
      it.forEachRemaining(kv -> {
        double[] v = new double[FeatureSums.WIDTH];
        for (int i = 0; i < v.length; i++) {
          v[i] = kv.value.get(i);
        }
        sums.put(kv.key, v);
      });
    }
    try (var it = totalStore.all()) {
      it.forEachRemaining(kv -> totals.put(kv.key,
          new long[] {kv.value.samplesCorrect(), kv.value.samplesIncorrect(), kv.value.pairedQueries()}));
    }
  }
}
