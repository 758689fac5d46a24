package dev.saerl.core.truth;

/**
 * One arithmetic step {@code a op b = written} as the text wrote it, checked exactly.
 *
 * @param index the step's place among the chain's arithmetic steps, from 0
 * @param resultStart where the written result begins in the completion (characters)
 * @param resultEnd where it ends (exclusive)
 * @param spaced whether the step was written with spaces around its operator ({@code 37 + 48 = 85})
 */
public record StepTruth(int index, long a, char op, long b, long written, int resultStart, int resultEnd, boolean spaced) {
  public long expected() {
    return switch (op) {
      case '+' -> a + b;
      case '-' -> a - b;
      case '*' -> a * b;
      default -> throw new IllegalStateException("operator " + op);
    };
  }

  public boolean correct() {
    return written == expected();
  }
}
