package dev.saerl.workers.text;

/** Text to token ids and back, as the model was trained. */
public interface Tokenizer extends AutoCloseable {
  int[] encode(String text, boolean addBos);

  String decode(int[] ids);

  /**
   * The length of {@code decode} of each prefix: where each token's text ends in the decoded string.
   * Decoded prefix by prefix, so tokens whose text depends on their neighbours still line up.
   */
  default int[] tokenEnds(int[] ids) {
    int[] ends = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      ends[i] = decode(java.util.Arrays.copyOf(ids, i + 1)).length();
    }
    return ends;
  }

  @Override
  default void close() {}
}
