package dev.saerl.core.verify;

/**
 * The final answer found in a response and the rule that found it. {@code answer} is null when no
 * rule matched (rule {@code none}).
 */
public record Extraction(String answer, String rule) {
  public static final Extraction NONE = new Extraction(null, "none");
}
