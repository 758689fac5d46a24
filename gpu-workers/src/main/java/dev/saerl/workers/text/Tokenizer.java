package dev.saerl.workers.text;

/** Text to token ids and back, as the model was trained. */
public interface Tokenizer extends AutoCloseable {
  int[] encode(String text, boolean addBos);

  String decode(int[] ids);

  /**
   * Whether decoding a sequence gives its tokens decoded one by one, concatenated, whenever each
   * token alone decodes to whole characters: true for a pure concatenation (Hugging Face's Fuse or
   * byte-level decoder), false where a token's text depends on its neighbours (a leading space
   * dropped from the first word, WordPiece's "##", a word separator). Decides whether
   * {@link #tokenEnds} may add up pieces.
   */
  default boolean decodesPieceByPiece() {
    return false;
  }

  /** One token decoded alone (implementations may cache it). */
  default String piece(int id) {
    return decode(new int[] {id});
  }

  /**
   * The length of {@code decode} of each prefix: where each token's text ends in the decoded string.
   * Where the tokenizer decodes piece by piece this is one pass over the tokens' own texts, checked
   * against decoding the whole sequence once; a token that alone is not whole characters (a byte of
   * a multi-byte character, decoded to U+FFFD) or a sequence whose pieces do not add up to its
   * decoding falls back to {@link #prefixTokenEnds}, which is the definition.
   */
  default int[] tokenEnds(int[] ids) {
    if (decodesPieceByPiece()) {
      int[] ends = new int[ids.length];
      StringBuilder joined = new StringBuilder();
      boolean whole = true;
      for (int i = 0; i < ids.length && whole; i++) {
        String p = piece(ids[i]);
        whole = p.indexOf('\uFFFD') < 0;
        joined.append(p);
        ends[i] = joined.length();
      }
      if (whole && joined.toString().equals(decode(ids))) {
        return ends;
      }
    }
    return prefixTokenEnds(ids);
  }

  /**
   * {@link #tokenEnds} by decoding every prefix (quadratic in the length): exact for any tokenizer,
   * since tokens whose text depends on their neighbours still line up.
   */
  default int[] prefixTokenEnds(int[] ids) {
    int[] ends = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      ends[i] = decode(java.util.Arrays.copyOf(ids, i + 1)).length();
    }
    return ends;
  }

  @Override
  default void close() {}
}
