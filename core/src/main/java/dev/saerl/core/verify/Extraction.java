package dev.saerl.core.verify;

/**
 * The final answer found in a response and the rule that found it. {@code answer} is null when no
 * rule matched (rule {@code none}). {@code rival} is a different answer the response also commits
 * to in the same breath ("\boxed{5} or \boxed{7}"), null when there is none; the verifier counts a
 * response with a rival that is not equal to its answer as hedged, hence incorrect.
 */
public record Extraction(String answer, String rule, String rival) {
  public static final Extraction NONE = new Extraction(null, "none", null);

  public Extraction(String answer, String rule) {
    this(answer, rule, null);
  }
}
