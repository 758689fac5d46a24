package dev.saerl.workers.inference;

import java.util.Arrays;

/**
 * The decoder's fixed inputs alone for one decode step (batch 32, one token, a cache of 200 slots,
 * no steering), built and released as a pass does: pooled vs allocated every pass, alternately in
 * one run, printed as JSON with old / new. A benchmark, not a test (run by tools/bench/hotpath.sh).
 */
public final class PassInputsBenchmark {
  private PassInputsBenchmark() {}

  public static void main(String[] args) throws Exception {
    int batch = 32;
    int capacity = 200;
    int dModel = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int passes = 20_000;
    int rounds = 7;
    long[] ids = new long[batch];
    long[] positions = new long[batch];
    long[] mask = new long[batch * (capacity + 1)];
    double[] fresh = new double[rounds];
    double[] pooled = new double[rounds];
    try (PassInputs reused = new PassInputs(true)) {
      for (int r = -2; r < rounds; r++) { // two untimed rounds for the JIT
        double f;
        try (PassInputs allocating = new PassInputs(false)) {
          f = perPass(allocating, ids, positions, mask, dModel, passes);
        }
        double p = perPass(reused, ids, positions, mask, dModel, passes);
        if (r >= 0) {
          fresh[r] = f;
          pooled[r] = p;
        }
      }
    }
    Arrays.sort(fresh);
    Arrays.sort(pooled);
    System.out.printf("{\"what\": \"decoder inputs of one decode step (batch %d, cache %d, d_model %d)\", \"old_us\": %.2f, "
        + "\"new_us\": %.2f, \"old_over_new\": %.1f, \"rounds\": %d}%n", batch, capacity, dModel, fresh[rounds / 2],
        pooled[rounds / 2], fresh[rounds / 2] / pooled[rounds / 2], rounds);
  }

  private static double perPass(PassInputs in, long[] ids, long[] positions, long[] mask, int dModel, int passes)
      throws Exception {
    int batch = ids.length;
    long t0 = System.nanoTime();
    for (int i = 0; i < passes; i++) {
      in.ids(ids, new long[] {batch, 1});
      in.positions(positions, new long[] {batch, 1});
      in.mask(mask, new long[] {batch, mask.length / batch});
      in.steer(null, new long[] {batch, 1, dModel});
      in.endPass();
    }
    return (System.nanoTime() - t0) / 1e3 / passes;
  }
}
