package dev.saerl.core.verify;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Multiple choice: a reference that is one letter A-E ("C", "(C)", "\text{(C)}", "\textbf{C}")
 * matches a candidate that commits to that letter ("C", "(c)", "C)", "(C) 12", "option C") and to no
 * other.
 */
final class Choice {
  private static final Pattern WRAPPER = Pattern.compile("\\\\(?:text[a-z]*|mathrm|mathbf|boxed)\\s*\\{([^{}]*)}");
  private static final Pattern REFERENCE = Pattern.compile("\\(?([A-E])\\)?[.:]?");
  private static final Pattern CANDIDATE = Pattern.compile(
      "(?i:(?:option|choice|answer)\\s*)?(?:\\(([A-Ea-e])\\)|([A-E])(?![A-Za-z]))(.*)", Pattern.DOTALL);
  private static final Pattern OTHER_LETTER = Pattern.compile("(?<![A-Za-z\\\\])[A-E](?![A-Za-z])");

  /** Hedged: the candidate names two letters. */
  static final char HEDGED = '?';

  private Choice() {}

  /** The reference's letter, or 0 when it is not a multiple-choice answer. */
  static char referenceLetter(String s) {
    Matcher m = REFERENCE.matcher(unwrap(s));
    return m.matches() ? m.group(1).charAt(0) : 0;
  }

  /** The candidate's letter (upper case), {@link #HEDGED} when it names another too, 0 when none. */
  static char candidateLetter(String s) {
    Matcher m = CANDIDATE.matcher(unwrap(s));
    if (!m.matches()) {
      return 0;
    }
    char letter = Character.toUpperCase((m.group(1) != null ? m.group(1) : m.group(2)).charAt(0));
    Matcher other = OTHER_LETTER.matcher(m.group(3));
    while (other.find()) {
      if (other.group().charAt(0) != letter) {
        return HEDGED;
      }
    }
    return letter;
  }

  private static String unwrap(String s) {
    String t = s.strip();
    for (int i = 0; i < 3; i++) {
      t = WRAPPER.matcher(t).replaceAll("$1");
    }
    return t.replace("$", "").replace("**", "").strip();
  }
}
