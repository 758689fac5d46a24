package dev.saerl.producers.examine;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule a rephrasing must pass before it is published as a query with its original's reference answer
 * (docs/examiner.md). The text is cleaned (a leading "Rephrased question:"-style label, surrounding quotes and
 * runs of whitespace go), then refused when it is empty, unchanged (equal to the original ignoring case,
 * whitespace and punctuation), more than three times the original's length, or when its numbers are not the
 * original's numbers: the same multiset, compared as values ({@code 1,000} = {@code 1000}, {@code 2.50} =
 * {@code 2.5}), so a rephrasing that drops, adds, changes or computes a number, or states the answer, is
 * refused. Numbers written as words count as missing: a strict rule that refuses some good rephrasings rather
 * than admit one with another answer. The solve check ({@link Rephraser}) comes on top.
 */
public final class RephrasingCheck {
  private static final Pattern NUMBER = Pattern.compile("\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?");
  private static final Pattern LABEL = Pattern.compile("^(?:here is |here's )?(?:the )?(?:rephrased|rewritten|reworded)?\\s*"
      + "(?:question|problem|version|rephrasing)\\s*:\\s*", Pattern.CASE_INSENSITIVE);

  /** The outcome: the cleaned text and null, or the reason it was refused. */
  public record Decision(String text, String rejection) {
    public boolean accepted() {
      return rejection == null;
    }
  }

  private RephrasingCheck() {}

  public static Decision check(String original, String reply) {
    String text = clean(reply);
    if (text.isEmpty()) {
      return new Decision(text, "empty");
    }
    if (normalized(text).equals(normalized(original))) {
      return new Decision(text, "unchanged");
    }
    if (text.length() > 3 * original.length()) {
      return new Decision(text, "too-long");
    }
    if (!numbers(text).equals(numbers(original))) {
      return new Decision(text, "numbers-changed");
    }
    return new Decision(text, null);
  }

  static String clean(String reply) {
    String t = reply.strip().replaceAll("\\s+", " ");
    t = LABEL.matcher(t).replaceFirst("");
    if (t.length() >= 2 && (t.startsWith("\"") && t.endsWith("\"") || t.startsWith("'") && t.endsWith("'"))) {
      t = t.substring(1, t.length() - 1).strip();
    }
    return t;
  }

  /** The numbers of a text as sorted canonical values. */
  static List<String> numbers(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = NUMBER.matcher(text);
    while (m.find()) {
      out.add(new BigDecimal(m.group().replace(",", "")).stripTrailingZeros().toPlainString());
    }
    out.sort(null);
    return out;
  }

  private static String normalized(String s) {
    return s.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "");
  }
}
