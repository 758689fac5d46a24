package dev.saerl.core.verify;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Equivalence of final answers. Numbers compare as exact rationals after removing thousands
 * separators, currency signs and words, units, trailing zeros, simple LaTeX ({@code \frac},
 * {@code \dfrac}, {@code \tfrac}, {@code \text{}}, {@code \$}, {@code \%}, {@code \left}/{@code \right});
 * a percentage equals both its number and its fraction ("50%" = "50" = "0.5"). Anything
 * non-numeric compares as lower-cased text without spaces and LaTeX spacing.
 */
public final class Answers {
  private static final int MAX_LENGTH = 500;
  private static final Pattern FRAC = Pattern.compile("\\\\[dt]?frac\\s*\\{([^{}]{1,50})}\\s*\\{([^{}]{1,50})}");
  private static final Pattern TEXT = Pattern.compile("\\\\(?:text|mathrm|textbf|mbox)\\s*\\{([^{}]{0,100})}");
  private static final Pattern RATIONAL = Pattern.compile(
      "([-+]?)(\\d+(?:\\.\\d+)?|\\.\\d+)(?:\\s*/\\s*(\\d+(?:\\.\\d+)?))?");
  private static final Pattern MIXED = Pattern.compile("([-+]?)(\\d+)\\s+(\\d+)\\s*/\\s*(\\d+)");
  /** A number, then optionally unit or currency words ("36 dollars", "10 apples each"). */
  private static final Pattern NUMBER_THEN_WORDS = Pattern.compile("^\\s*([-+]?\\s?[\\d.][\\d.,/ ]*?)\\s*(?:[a-zA-Z][a-zA-Z\\s.]*)?$");

  private Answers() {}

  /** A parsed answer: an exact rational (with whether it was written as a percentage), or text. */
  record Value(BigInteger num, BigInteger den, boolean percent, String text) {
    boolean numeric() {
      return num != null;
    }
  }

  public static boolean equivalent(String reference, String candidate) {
    if (reference == null || candidate == null) {
      return false;
    }
    Value a = parse(reference);
    Value b = parse(candidate);
    if (a.numeric() && b.numeric()) {
      if (same(a.num, a.den, b.num, b.den)) {
        return true;
      }
      // 50% vs 0.5: a percentage also matches its fraction
      BigInteger hundred = BigInteger.valueOf(100);
      return (a.percent && same(a.num, a.den.multiply(hundred), b.num, b.den))
          || (b.percent && same(b.num, b.den.multiply(hundred), a.num, a.den));
    }
    return !a.numeric() && !b.numeric() && !a.text.isEmpty() && a.text.equals(b.text);
  }

  private static boolean same(BigInteger n1, BigInteger d1, BigInteger n2, BigInteger d2) {
    return n1.multiply(d2).equals(n2.multiply(d1));
  }

  static Value parse(String raw) {
    String s = raw.length() > MAX_LENGTH ? raw.substring(0, MAX_LENGTH) : raw;
    s = s.replace('−', '-').replace('–', '-').replace("\\!", "").replace("\\,", "").replace("\\;", "")
        .replace("\\left", "").replace("\\right", "").replace("\\$", "").replace("$", "")
        .replace("€", "").replace("£", "").replace("^\\circ", "").replace("^{\\circ}", "").replace("°", "");
    boolean percent = s.contains("%") || s.toLowerCase(Locale.ROOT).matches(".*\\bper\\s*cent\\b.*");
    s = s.replace("\\%", "").replace("%", "");
    s = TEXT.matcher(s).replaceAll("$1");
    Matcher frac = FRAC.matcher(s);
    s = frac.replaceAll("($1)/($2)").replace("(", "").replace(")", "");
    s = s.replaceAll("(?<=\\d),(?=\\d{3}(?!\\d))", "");
    Matcher lead = NUMBER_THEN_WORDS.matcher(s.length() > 100 ? "" : s);
    String numeric = (lead.matches() ? lead.group(1) : s).trim().replaceAll("[.\\s]+$", "").replaceAll("\\s+", " ");
    Matcher mixed = MIXED.matcher(numeric);
    if (mixed.matches()) {
      BigInteger whole = new BigInteger(mixed.group(2));
      BigInteger n = new BigInteger(mixed.group(3));
      BigInteger d = new BigInteger(mixed.group(4));
      if (d.signum() != 0) {
        BigInteger num = whole.multiply(d).add(n);
        return new Value(mixed.group(1).equals("-") ? num.negate() : num, d, percent, null);
      }
    }
    Matcher m = RATIONAL.matcher(numeric);
    if (m.matches()) {
      BigDecimal top = new BigDecimal(m.group(2));
      BigDecimal bottom = m.group(3) == null ? BigDecimal.ONE : new BigDecimal(m.group(3));
      if (bottom.signum() != 0) {
        if (m.group(1).equals("-")) {
          top = top.negate();
        }
        // a/b with decimals: scale both to integers
        int scale = Math.max(Math.max(top.scale(), bottom.scale()), 0);
        return new Value(top.movePointRight(scale).toBigIntegerExact(), bottom.movePointRight(scale).toBigIntegerExact(), percent, null);
      }
    }
    String text = raw.toLowerCase(Locale.ROOT).replaceAll("\\\\[,;! ]|\\s+|\\\\text\\{|[{}]|\\.$", "");
    return new Value(null, null, false, text);
  }
}
