package dev.saerl.core.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer a response commits to. Marked answers, wherever they are:
 * {@code boxed} ({@code \boxed{...}}, {@code \fbox{...}}), {@code hash_marks} ({@code #### X}),
 * {@code the_answer_is} ("The (final) answer is X", with X in {@code $...$} taken whole) and
 * {@code answer_label} (a line "Answer: X", "Final answer: X", "A: X"). The last marked answer
 * wins, so a later correction beats an early box. An earlier marked answer that differs from it
 * in the same paragraph with a hedge ("or", "maybe", ...) or with neither a hedge nor a correction
 * or next step ("wait", "mistake", "then", "so", ...) in between, or in an earlier paragraph when
 * the last answer's paragraph opens with a hedge ("Alternatively, ..."), is reported as its
 * {@code rival}, and so is a value offered right after the last answer ("\boxed{5} (or 7)", "5, or
 * maybe 7"): the verifier counts such a response as hedged, hence incorrect. When marked
 * answers agree, the strongest rule is reported (boxed, then hash marks, then "the answer is", then a label).
 *
 * <p>Only without any mark: {@code final_line} (a last line that is only a number or only one
 * math expression in delimiters), then {@code last_number_fallback}: in the last sentence, the
 * first number after its last "=" (a computed result), or without "=" its last number where that
 * is safe (the sentence is not a question, a restated problem ("If ...", "How many ..."), or a
 * negation); never in a sentence with LaTeX, and only numbers that stand alone, not inside a word
 * such as "x2" or "3rd". Input is bounded: only the last {@link #WINDOW} characters are searched,
 * at most {@link #MAX_MARKS} marks are read, and every pattern is linear.
 */
public final class AnswerExtractor {
  /** Answers sit at the end; a longer response is searched in its tail only. */
  public static final int WINDOW = 8_000;
  static final int MAX_MARKS = 200;

  static final String NUMBER = "[-+−]?\\$?\\s?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:\\s?/\\s?\\d+)?%?";
  private static final Pattern HASH = Pattern.compile("####\\s*([^\\n]{1,200})");
  private static final Pattern ANSWER_IS = Pattern.compile(
      "(?:the\\s+)?(?:final\\s+)?answer\\s+is\\s*:?\\**\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern LABEL = Pattern.compile(
      "(?m)^[ \\t>#*-]*(?:(?:final\\s+answer|answer|a)\\s*\\**\\s*:\\s*\\**[ \\t]*|(?:final\\s+answer|answer)[ \\t]+(?=\\$|\\\\[(\\[]))",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern NUMBER_ONLY_LINE = Pattern.compile("^\\s*(" + NUMBER + ")\\s*\\.?\\s*$");
  private static final Pattern STANDALONE_NUMBER = Pattern.compile(
      "(?<![\\p{L}\\p{N}_.,/])(?:[-−]?\\$?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:/\\d+)?%?)(?![\\p{L}\\p{N}_]|[.,]\\d)");
  /** Words that make an earlier answer a step or a mistake rather than a rival: a correction, or a next step. */
  private static final Pattern SUPERSEDED = Pattern.compile(
      "\\b(?:wait|actually|correction|mistake|error|oops|instead|re-?check\\w*|recalculat\\w*|reconsider\\w*|"
          + "let me|on second thought|i made|incorrect|wrong|then|next|therefore|thus|hence|finally|so|to get|gives?|"
          + "we get|becomes?)\\b", Pattern.CASE_INSENSITIVE);
  /** Words that offer another answer beside an earlier one: within a paragraph, "or" is enough. */
  private static final Pattern HEDGE = Pattern.compile(
      "\\b(?:or|either|alternatively|maybe|perhaps|possibly|could also be|might also be|another possib\\w*|"
          + "other possib\\w*)\\b", Pattern.CASE_INSENSITIVE);
  /** The same, opening the paragraph of the last answer: "\n\nAlternatively, the answer could be ...". */
  private static final Pattern NEW_PARAGRAPH_HEDGE = Pattern.compile(
      "\\b(?:alternatively|maybe|perhaps|possibly|could also be|might also be|another possib\\w*|other possib\\w*)\\b",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern UNSAFE_SENTENCE = Pattern.compile(
      "\\b(?:how many|how much|what is|what are|what was|which|find|compute|calculate|determine|question|"
          + "not|isn't|aren't|wasn't|never|instead of|rather than)\\b|^\\s*(?:if|given|suppose|let)\\b",
      Pattern.CASE_INSENSITIVE);
  /** A value rejected as the answer: "... is not a solution", "... aren't valid roots". */
  private static final Pattern NEGATION = Pattern.compile(
      "\\b(?:is|are|was|were)(?:\\s+not|n't)\\s+(?:a|an|the|our)?\\s*(?:valid\\s+)?(?:solutions?|answers?|roots?)\\b",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final Pattern TRAILING_PUNCTUATION = Pattern.compile("[.,:;!]+$");
  /** A sentence ends at . ! ? before a capital, but not after "Mr." and the like. */
  private static final Pattern SENTENCE_END = Pattern.compile(
      "(?<=[.!?])(?<!\\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|No)\\.)\\s+(?=[A-Z])");
  private static final Pattern LATEX = Pattern.compile("[\\\\^_{}]");
  private static final Pattern CHOICE_LETTER = Pattern.compile("\\(?[A-E]\\)?[.:]?");
  private static final Set<String> NOT_ANSWERS = Set.of("that", "not", "correct", "incorrect", "wrong", "right",
      "clear", "clearly", "below", "above", "as", "the", "a", "an", "in", "to", "because", "given", "this", "these",
      "then", "therefore", "thus", "so", "simply", "obtained", "found", "shown", "what", "which", "how", "indeed",
      "likely", "probably", "unknown", "undefined", "still", "now", "from", "by", "of", "for");

  /** A marked answer: where its text starts and ends, the rule, how strong that rule is, and a value offered beside it. */
  private record Mark(int at, int end, String answer, String rule, int strength, String beside) {}

  private AnswerExtractor() {}

  public static Extraction extract(String response) {
    if (response == null || response.isBlank()) {
      return Extraction.NONE;
    }
    String text = response.length() > WINDOW ? response.substring(response.length() - WINDOW) : response;
    List<Mark> marks = marks(text);
    if (!marks.isEmpty()) {
      return choose(text, marks);
    }
    String line = finalLine(text);
    if (line != null) {
      return new Extraction(line, "final_line");
    }
    String concluded = concludedMath(text);
    if (concluded != null) {
      return new Extraction(concluded, "conclusion_math");
    }
    String number = fallbackNumber(text);
    return number == null ? Extraction.NONE : new Extraction(number, "last_number_fallback");
  }

  // ---- marked answers ----

  /** A value offered right after an answer: "\boxed{5} (or 7)", "The answer is 5, or maybe 7", "... Or maybe it is 7". */
  private static final Pattern HEDGE_TAIL = Pattern.compile(
      "^[}$\\s]*[.,;]?\\s*\\(?\\s*(?:or|maybe|perhaps|possibly|alternatively)(?:\\s+(?:maybe|perhaps|possibly|even))?"
          + "\\s*,?\\s*(?:it(?:'s| is| could be| might be)\\s*)?(\\$[^$\\n]{1,60}\\$|\\\\boxed\\{[^{}\\n]{1,60}}|[-\u2212]?\\d[\\d.,/]*)",
      Pattern.CASE_INSENSITIVE);

  private static List<Mark> marks(String text) {
    List<Mark> marks = new ArrayList<>();
    boxes(text, marks);
    if (text.contains("####")) {
      Matcher hash = HASH.matcher(text);
      while (hash.find() && marks.size() < MAX_MARKS) {
        add(marks, text, hash.start(1), hash.end(1), trimSentence(hash.group(1)), "hash_marks", 3);
      }
    }
    // the case-insensitive patterns are the slow part: run them only where their words occur
    String lower = text.toLowerCase(Locale.ROOT);
    boolean answerWord = lower.contains("answer");
    if (answerWord) {
      Matcher is = ANSWER_IS.matcher(text);
      while (is.find() && marks.size() < MAX_MARKS) {
        addText(marks, text, is.end(), "the_answer_is", 2);
      }
    }
    if (answerWord || lower.contains("a:") || lower.contains("a :")) {
      Matcher label = LABEL.matcher(text);
      while (label.find() && marks.size() < MAX_MARKS) {
        addText(marks, text, label.end(), "answer_label", 1);
      }
    }
    marks.sort(Comparator.comparingInt(Mark::at));
    return marks;
  }

  private static void boxes(String text, List<Mark> marks) {
    for (String command : new String[] {"\\boxed", "\\fbox"}) {
      int from = 0;
      for (int at; (at = text.indexOf(command, from)) >= 0 && marks.size() < MAX_MARKS; ) {
        int open = at + command.length();
        from = open;
        while (open < text.length() && text.charAt(open) == ' ') {
          open++;
        }
        if (open < text.length() && text.charAt(open) == '{') {
          int close = closingBrace(text, open);
          if (close > 0) {
            add(marks, text, open + 1, close, text.substring(open + 1, close).trim(), "boxed", 4);
            from = close;
          }
        } else if (open > at + command.length() && open < text.length()) {
          // \boxed 5: one token
          int end = open;
          while (end < text.length() && !Character.isWhitespace(text.charAt(end)) && text.charAt(end) != '$') {
            end++;
          }
          add(marks, text, open, end, trimSentence(text.substring(open, end)), "boxed", 4);
        }
      }
    }
  }

  private static int closingBrace(String text, int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '{' || text.charAt(i + 1) == '}')) {
        i++;
      } else if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  /** The answer after "The answer is" or a label: math in delimiters whole, else up to the end of the sentence. */
  private static void addText(List<Mark> marks, String text, int from, String rule, int strength) {
    int lineEnd = text.indexOf('\n', from);
    String line = text.substring(from, lineEnd < 0 ? text.length() : lineEnd);
    if (line.length() > 400) {
      line = line.substring(0, 400);
    }
    String rest = line.strip();
    if (rest.isEmpty()) {
      return;
    }
    int start = from + line.indexOf(rest);
    String answer = delimited(rest);
    if (answer == null) {
      answer = trimSentence(rest.startsWith("$") ? rest.substring(1) : rest);
    }
    if (answer.contains("\\boxed") || answer.contains("\\fbox") || answer.toLowerCase(Locale.ROOT).contains("answer is")) {
      return; // the box, or the inner "answer is", is a mark of its own
    }
    if (plausible(answer)) {
      int at = rest.indexOf(answer);
      add(marks, text, start, at < 0 ? start + rest.length() : start + at + answer.length(), answer, rule, strength);
    }
  }

  /** The content of {@code $...$}, {@code $$...$$}, {@code \(...\)} or {@code \[...\]} at the start; null when not delimited. */
  private static String delimited(String s) {
    for (String[] pair : new String[][] {{"$$", "$$"}, {"\\[", "\\]"}, {"\\(", "\\)"}, {"$", "$"}}) {
      if (s.startsWith(pair[0])) {
        int close = s.indexOf(pair[1], pair[0].length());
        if (close < 0) {
          return null;
        }
        String inner = s.substring(pair[0].length(), close);
        if (pair[0].equals("$") && (inner.isBlank() || Character.isWhitespace(inner.charAt(inner.length() - 1)))) {
          return null; // "$36 and $40": dollars, not math
        }
        return inner.strip();
      }
    }
    return null;
  }

  /** Something that can be an answer: not "correct", "below" or a sentence. */
  private static boolean plausible(String answer) {
    if (answer == null || answer.isBlank()) {
      return false;
    }
    if (CHOICE_LETTER.matcher(answer).matches()) {
      return true;
    }
    String[] words = SPACES.split(answer.toLowerCase(Locale.ROOT));
    if (NOT_ANSWERS.contains(TRAILING_PUNCTUATION.matcher(words[0]).replaceAll(""))) {
      return false;
    }
    return words.length <= 4 || answer.chars().anyMatch(c -> Character.isDigit(c) || "\\^_{}()=<>+-*/|[]".indexOf(c) >= 0);
  }

  private static void add(List<Mark> marks, String text, int at, int end, String answer, String rule, int strength) {
    String a = answer == null ? null : answer.replace("**", "").strip();
    if (a != null && !a.isEmpty()) {
      Matcher tail = HEDGE_TAIL.matcher(text.substring(Math.min(end, text.length()), Math.min(end + 120, text.length())));
      String beside = tail.find() ? tail.group(1).replaceAll("^\\$|\\$$|^\\\\boxed\\{|}$", "") : null;
      marks.add(new Mark(at, end, a, rule, strength, beside));
    }
  }

  /** What may stand between boxes that together give one answer: "\boxed{1}, \boxed{2} \quad\text{and}\quad \boxed{3}". */
  private static final Pattern BOX_JOINER = Pattern.compile(
      "}(?:\\s|\\$|,|;|~|\\\\[,;]|\\\\q?quad|\\\\text\\{\\s*and\\s*}|\\band\\b|\\\\[\\[\\]()])*\\\\(?:boxed|fbox)\\s*\\{");

  private static Extraction choose(String text, List<Mark> marks) {
    Mark last = marks.get(marks.size() - 1);
    Extraction joined = joinedBoxes(text, marks);
    if (joined != null) {
      return joined;
    }
    String rule = last.rule();
    int strength = last.strength();
    String rival = last.beside();
    String committed = Texts.compact(last.answer());
    for (int i = marks.size() - 2; i >= 0 && rival == null; i--) {
      Mark earlier = marks.get(i);
      String between = earlier.end() < last.at() ? text.substring(earlier.end(), last.at()) : "";
      int paragraph = between.lastIndexOf("\n\n");
      boolean hedge = paragraph < 0 ? HEDGE.matcher(between).find()
          : NEW_PARAGRAPH_HEDGE.matcher(between.substring(paragraph)).find();
      if (!hedge && (paragraph >= 0 || SUPERSEDED.matcher(between).find())) {
        break;
      }
      if (!Texts.compact(earlier.answer()).equals(committed)) {
        rival = earlier.answer();
        break;
      }
      if (earlier.strength() > strength) {
        rule = earlier.rule();
        strength = earlier.strength();
      }
    }
    return new Extraction(last.answer(), rule, rival);
  }

  /**
   * Boxes that end the response joined by nothing but "and", commas and spacing, with different
   * values, are one answer: their list ("(2, 2), (6, 2)"), compared as the reference's set or tuple;
   * against a single value a list is still hedged. Null when the response does not end so.
   */
  private static Extraction joinedBoxes(String text, List<Mark> marks) {
    Mark last = marks.get(marks.size() - 1);
    if (!last.rule().equals("boxed") || last.beside() != null) {
      return null;
    }
    List<String> answers = new ArrayList<>(List.of(last.answer()));
    for (int i = marks.size() - 2; i >= 0; i--) {
      Mark earlier = marks.get(i);
      Mark next = marks.get(i + 1);
      if (!earlier.rule().equals("boxed") || earlier.end() >= next.at()
          || !BOX_JOINER.matcher(text.substring(earlier.end(), next.at())).matches()) {
        break;
      }
      answers.add(0, earlier.answer());
    }
    if (answers.size() < 2 || answers.stream().map(Texts::compact).distinct().count() < 2) {
      return null;
    }
    return new Extraction(String.join(", ", answers), "boxed_list", null);
  }

  // ---- unmarked answers ----

  /** A last line that is only a number, or only one expression in math delimiters. */
  private static String finalLine(String text) {
    List<String> lines = text.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (lines.isEmpty()) {
      return null;
    }
    String last = lines.get(lines.size() - 1).replace("**", "").strip();
    Matcher m = NUMBER_ONLY_LINE.matcher(last);
    if (m.matches()) {
      return m.group(1).trim();
    }
    if (last.equals("\\]") || last.equals("$$")) {
      String open = last.equals("\\]") ? "\\[" : "$$";
      for (int i = lines.size() - 2; i >= Math.max(0, lines.size() - 6); i--) {
        if (lines.get(i).equals(open)) {
          String body = String.join(" ", lines.subList(i + 1, lines.size() - 1)).strip();
          return body.isEmpty() ? null : body;
        }
      }
      return null;
    }
    String t = last.endsWith(".") ? last.substring(0, last.length() - 1).strip() : last;
    return wholeDelimited(t);
  }

  /** The inside of {@code $...$}, {@code $$...$$}, {@code \(...\)} or {@code \[...\]} that spans all of s; null otherwise. */
  private static String wholeDelimited(String s) {
    for (String[] pair : new String[][] {{"$$", "$$"}, {"\\[", "\\]"}, {"\\(", "\\)"}, {"$", "$"}}) {
      int inner = pair[0].length();
      if (s.length() > inner + pair[1].length() && s.startsWith(pair[0]) && s.endsWith(pair[1])) {
        String body = s.substring(inner, s.length() - pair[1].length());
        return body.contains(pair[1]) || body.isBlank() ? null : body.strip();
      }
    }
    return null;
  }

  /**
   * The number a last sentence concludes with: the first standalone number after its last "="
   * (a computed result), or else its last standalone number when the sentence can be a conclusion
   * (not a question, a restated problem or a negation).
   */
  private static final Pattern CONCLUSION = Pattern.compile(
      "^(?:therefore|thus|hence|so|finally|in conclusion|we (?:find|get|obtain|conclude|have)(?: that)?|"
          + "the (?:solution|result) is|this gives)\\b|\\bis (?:the|our) (?:solution|answer|result)\\b",
      Pattern.CASE_INSENSITIVE);
  /** $...$ as TeX reads it where dollars are also money: no space inside either dollar, no operator before and no digit after the closing one. */
  private static final Pattern INLINE_MATH = Pattern.compile(
      "(?<![$\\\\])\\$(?=\\S)([^$]{1,300}?)(?<![\\s=+*/-])\\$(?![$\\d])|\\\\\\((.{1,300}?)\\\\\\)");

  /**
   * Unmarked, the one inline math span of a last sentence that concludes ("Therefore $x \geq 5$ is
   * the solution.", "We find that $x < 3$."), unless the sentence asks, restates or negates.
   */
  private static String concludedMath(String text) {
    String sentence = lastSentence(text);
    if (sentence == null) {
      return null;
    }
    Matcher concludes = CONCLUSION.matcher(sentence);
    if (!concludes.find()) {
      return null;
    }
    String rest = sentence.substring(0, concludes.start()) + " " + sentence.substring(concludes.end());
    Matcher m = INLINE_MATH.matcher(rest);
    if (!m.find()) {
      return null;
    }
    String math = m.group(1) != null ? m.group(1) : m.group(2);
    String words = rest.substring(0, m.start()) + " " + rest.substring(m.end());
    if (m.find() || UNSAFE_SENTENCE.matcher(words).find() || math.isBlank()) {
      return null;
    }
    return math.strip();
  }

  /** The last sentence of the last non-blank line, or null when there is none or it is a question or over 400 characters. */
  private static String lastSentence(String text) {
    List<String> lines = text.strip().lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty()) {
      return null;
    }
    String[] sentences = SENTENCE_END.split(lines.get(lines.size() - 1).strip());
    String sentence = sentences[sentences.length - 1].strip();
    return sentence.length() > 400 || sentence.endsWith("?") ? null : sentence;
  }

  private static String fallbackNumber(String text) {
    String sentence = lastSentence(text);
    if (sentence == null || LATEX.matcher(sentence).find()) {
      return null;
    }
    if (NEGATION.matcher(sentence).find()) {
      return null; // "so x = 7 is not a solution" states no answer ("= 120 lbs. will not be used" does)
    }
    Matcher m = STANDALONE_NUMBER.matcher(sentence);
    int equals = sentence.lastIndexOf('=');
    if (equals >= 0) {
      return m.find(equals + 1) ? m.group() : null; // "= 15 liters of the 24 liters": the result, not the last number
    }
    if (UNSAFE_SENTENCE.matcher(sentence).find()) {
      return null;
    }
    String found = null;
    while (m.find()) {
      found = m.group();
    }
    return found;
  }

  /** "66. Next question..." to "66": the answer ends at a full stop, a semicolon, or a comma before words, outside brackets. */
  static String trimSentence(String s) {
    String t = s.trim();
    int cut = t.length();
    int depth = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
        depth--;
      }
      if (depth > 0) {
        continue;
      }
      boolean decimalPoint = c == '.' && i > 0 && Character.isDigit(t.charAt(i - 1))
          && i + 1 < t.length() && Character.isDigit(t.charAt(i + 1));
      boolean sentenceEnd = c == '.' && !decimalPoint && !(i + 1 < t.length() && t.charAt(i + 1) == '.')
          && !(i > 0 && t.charAt(i - 1) == '.');
      if (sentenceEnd || c == ';' || (c == ',' && !(i + 1 < t.length() && Character.isDigit(t.charAt(i + 1))))) {
        cut = i;
        break;
      }
    }
    return t.substring(0, cut).trim();
  }
}
