package dev.saerl.core.verify;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a chain of thought. Rules, first match wins: {@code boxed}
 * (last {@code \boxed{...}}), {@code hash_marks} ({@code #### X}), {@code the_answer_is}
 * ("The (final) answer is X"), {@code answer_label} (a line "A: X" or "Answer: X"),
 * {@code final_line} (a last line that is only a number), and only then
 * {@code last_number_fallback} (the last number anywhere). Input is bounded: only the last
 * {@link #WINDOW} characters are searched, and every pattern is linear.
 */
public final class AnswerExtractor {
  /** Answers sit at the end; a longer response is searched in its tail only. */
  public static final int WINDOW = 8_000;

  static final String NUMBER = "[-+−]?\\$?\\s?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:\\s?/\\s?\\d+)?%?";
  private static final Pattern HASH = Pattern.compile("####\\s*([^\\n]{1,200})");
  private static final Pattern ANSWER_IS = Pattern.compile("(?:the\\s+)?(?:final\\s+)?answer\\s+is\\s*:?\\s*([^\\n]{1,200})",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern LABEL = Pattern.compile("(?m)^\\s*(?:A|Answer|Final answer)\\s*:\\s*([^\\n]{1,200})$",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern NUMBER_ONLY_LINE = Pattern.compile("^\\s*(" + NUMBER + ")\\s*\\.?\\s*$");
  private static final Pattern ANY_NUMBER = Pattern.compile(NUMBER);

  private AnswerExtractor() {}

  public static Extraction extract(String response) {
    if (response == null || response.isBlank()) {
      return Extraction.NONE;
    }
    String text = response.length() > WINDOW ? response.substring(response.length() - WINDOW) : response;
    String boxed = lastBoxed(text);
    if (boxed != null) {
      return new Extraction(boxed.trim(), "boxed");
    }
    for (var rule : List.of(new Rule(HASH, "hash_marks"), new Rule(ANSWER_IS, "the_answer_is"), new Rule(LABEL, "answer_label"))) {
      String found = last(rule.pattern, text);
      if (found != null) {
        String answer = trimSentence(found);
        if (!answer.isEmpty()) {
          return new Extraction(answer, rule.name);
        }
      }
    }
    List<String> lines = text.strip().lines().toList();
    if (!lines.isEmpty()) {
      Matcher m = NUMBER_ONLY_LINE.matcher(lines.get(lines.size() - 1));
      if (m.matches()) {
        return new Extraction(m.group(1).trim(), "final_line");
      }
    }
    String lastNumber = last(ANY_NUMBER, text, 0);
    return lastNumber == null ? Extraction.NONE : new Extraction(lastNumber.trim(), "last_number_fallback");
  }

  private record Rule(Pattern pattern, String name) {}

  private static String last(Pattern p, String text) {
    return last(p, text, 1);
  }

  private static String last(Pattern p, String text, int group) {
    Matcher m = p.matcher(text);
    String found = null;
    while (m.find()) {
      found = m.group(group);
    }
    return found;
  }

  /** "66. Next question..." to "66"; a trailing period ends the answer unless it is a decimal point. */
  static String trimSentence(String s) {
    String t = s.trim();
    int cut = t.length();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      boolean decimalPoint = c == '.' && i > 0 && Character.isDigit(t.charAt(i - 1))
          && i + 1 < t.length() && Character.isDigit(t.charAt(i + 1));
      if ((c == '.' && !decimalPoint) || c == ';' || (c == ',' && !(i + 1 < t.length() && Character.isDigit(t.charAt(i + 1))))) {
        cut = i;
        break;
      }
    }
    t = t.substring(0, cut).trim();
    String lower = t.toLowerCase(Locale.ROOT);
    return lower.startsWith("that ") ? "" : t;
  }

  /** The content of the last \boxed{...} (or \fbox{...}), braces balanced; null when none. */
  static String lastBoxed(String text) {
    int at = Math.max(text.lastIndexOf("\\boxed"), text.lastIndexOf("\\fbox"));
    if (at < 0) {
      return null;
    }
    int open = text.indexOf('{', at);
    if (open < 0) {
      return null;
    }
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return text.substring(open + 1, i);
      }
    }
    return null;
  }
}
