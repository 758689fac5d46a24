package dev.saerl.core.verify;

import java.util.Locale;
import java.util.regex.Pattern;

/** Plain-text forms of an answer: for the same-text shortcut and for answers in words. */
final class Texts {
  private static final Pattern SPACING = Pattern.compile(
      "\\s+|\\$|\\\\[,;:! ]|\\\\left(?![a-z])|\\\\right(?![a-z])|\\\\displaystyle|\\.$");
  private static final Pattern FRAC = Pattern.compile("\\\\[dtc]frac");
  private static final Pattern MARKUP = Pattern.compile("\\\\(?:text[a-z]*|mathrm|mathbf|mbox|operatorname)|[{}\\\\]");
  private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");

  private Texts() {}

  /** The answer without spacing commands, math delimiters and a final full stop. */
  static String compact(String s) {
    return FRAC.matcher(SPACING.matcher(s.strip()).replaceAll("")).replaceAll("\\\\frac");
  }

  /** Without case, spacing, text markup and braces, punctuation kept: "3 : 4" and "3:4" agree, "34" does not. */
  static String loose(String s) {
    return compact(MARKUP.matcher(s).replaceAll("")).toLowerCase(Locale.ROOT);
  }

  /** Lower-case letters and digits only: "\text{Evelyn}." and "evelyn" agree. */
  static String words(String s) {
    String t = MARKUP.matcher(s).replaceAll(" ");
    return NOT_WORD.matcher(t.toLowerCase(Locale.ROOT)).replaceAll("");
  }
}
