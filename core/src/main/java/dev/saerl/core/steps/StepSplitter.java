package dev.saerl.core.steps;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a chain of thought into steps at sentence and line level: a step ends at a newline, or
 * at '.', '!' or '?' followed by whitespace or the end (a '.' between digits is a decimal point,
 * not an end). Leading whitespace belongs to no step; every step keeps its character span.
 */
public final class StepSplitter {
  /** One step: its text and half-open character span in the completion. */
  public record Span(int index, String text, int start, int end) {}

  private StepSplitter() {}

  public static List<Span> split(String text) {
    List<Span> out = new ArrayList<>();
    int n = text.length();
    int i = 0;
    while (i < n) {
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int start = i;
      int end = n;
      for (int j = i; j < n; j++) {
        char c = text.charAt(j);
        if (c == '\n') {
          end = j;
          break;
        }
        if ((c == '.' || c == '!' || c == '?') && (j + 1 == n || Character.isWhitespace(text.charAt(j + 1)))) {
          end = j + 1;
          break;
        }
      }
      int trimmed = end;
      while (trimmed > start && Character.isWhitespace(text.charAt(trimmed - 1))) {
        trimmed--;
      }
      if (trimmed > start) {
        out.add(new Span(out.size(), text.substring(start, trimmed), start, trimmed));
      }
      i = end;
    }
    return out;
  }

  /**
   * Token span [first, last+1) of each character span, given each token's end offset in the text
   * (tokenEnds[t] = characters covered by tokens 0..t). A token belongs to the step that holds
   * its last character.
   */
  public static int[][] tokenSpans(List<Span> steps, int[] tokenEnds) {
    int[][] spans = new int[steps.size()][2];
    int t = 0;
    for (Span s : steps) {
      while (t < tokenEnds.length && tokenEnds[t] <= s.start()) {
        t++;
      }
      int first = t;
      while (t < tokenEnds.length && tokenEnds[t] <= s.end()) {
        t++;
      }
      if (t < tokenEnds.length && t == first) {
        t++; // one token covers the whole step
      }
      spans[s.index()] = new int[] {first, Math.max(first, t)};
    }
    return spans;
  }
}
