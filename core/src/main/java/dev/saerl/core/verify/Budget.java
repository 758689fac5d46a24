package dev.saerl.core.verify;

/**
 * The work one comparison may do: steps counted by the lexer, parser and evaluators (BigInteger
 * arithmetic counts by size), nesting depth, and a wall-clock deadline as a last guard. Steps are
 * the bound that decides in practice, so a verdict does not depend on how busy the machine is;
 * the deadline only stops work that the step count failed to foresee.
 */
final class Budget {
  /** Thrown when a comparison has used its budget; the verifier turns it into a timeout verdict. */
  static final class Exceeded extends RuntimeException {
    Exceeded(String what) {
      super(what, null, false, false);
    }
  }

  static final long DEFAULT_STEPS = 400_000;
  static final long DEFAULT_MILLIS = 2_000;
  static final int MAX_DEPTH = 120;

  private final long maxSteps;
  private final long deadlineNanos;
  private long steps;

  Budget(long maxSteps, long millis) {
    this.maxSteps = maxSteps;
    this.deadlineNanos = System.nanoTime() + millis * 1_000_000L;
  }

  static Budget standard() {
    return new Budget(DEFAULT_STEPS, DEFAULT_MILLIS);
  }

  void tick() {
    tick(1);
  }

  void tick(long n) {
    long before = steps;
    steps += n;
    if (steps > maxSteps) {
      throw new Exceeded("more than " + maxSteps + " steps");
    }
    if ((before >>> 10) != (steps >>> 10) && System.nanoTime() > deadlineNanos) {
      throw new Exceeded("deadline");
    }
  }

  void depth(int depth) {
    if (depth > MAX_DEPTH) {
      throw new Exceeded("nesting deeper than " + MAX_DEPTH);
    }
  }
}
