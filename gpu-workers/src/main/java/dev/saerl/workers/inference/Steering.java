package dev.saerl.workers.inference;

/**
 * What to add to the residual stream at the hook layer, per position of a row's sequence (prompt
 * tokens count from 0, generated tokens follow). Null means nothing at that position.
 */
@FunctionalInterface
public interface Steering {
  Steering NONE = position -> null;

  float[] at(int position);

  /** The same vector at every position. */
  static Steering everywhere(float[] vector) {
    return position -> vector;
  }

  /** The vector at positions in [from, to) only: a critical step, or a window of tokens. */
  static Steering window(float[] vector, int from, int to) {
    return position -> position >= from && position < to ? vector : null;
  }
}
