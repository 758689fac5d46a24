package dev.saerl.workers.text;

/** Text to token ids and back, as the model was trained. */
public interface Tokenizer extends AutoCloseable {
  int[] encode(String text, boolean addBos);

  String decode(int[] ids);

  @Override
  default void close() {}
}
