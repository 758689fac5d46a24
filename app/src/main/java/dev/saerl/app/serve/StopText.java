package dev.saerl.app.serve;

import java.util.List;

/**
 * A reply's text as it grows, token by token: finds the first stop string, and says how much of
 * the text is safe to send on a stream, holding back a tail that could still become a stop string
 * (or a half-decoded character), so that the streamed pieces always join to the final text.
 */
final class StopText {
  private final List<String> stops;
  private final int longest;
  private String sent = "";
  private int cut = -1;

  StopText(List<String> stops) {
    this.stops = List.copyOf(stops);
    this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
  }

  /** Where {@code text} must end: before its earliest stop string, or its whole length. */
  static int cutAt(String text, List<String> stops) {
    int cut = text.length();
    for (String s : stops) {
      int i = text.indexOf(s);
      if (i >= 0 && i < cut) {
        cut = i;
      }
    }
    return cut;
  }

  /** Takes the whole text decoded so far; returns the part newly safe to send ("" for none). */
  String advance(String text) {
    if (stopped()) {
      return "";
    }
    int end = cutAt(text, stops);
    if (end < text.length()) {
      cut = end;
    } else {
      end -= heldBack(text);
    }
    if (end <= sent.length() || !text.startsWith(sent)) {
      return "";
    }
    String delta = text.substring(sent.length(), end);
    sent = text.substring(0, end);
    return delta;
  }

  /** Whether a stop string has appeared. */
  boolean stopped() {
    return cut >= 0;
  }

  /** The rest of the final text after what was sent (the final text starts with it: see the class comment). */
  String rest(String finalText) {
    if (!finalText.startsWith(sent)) {
      throw new IllegalStateException("the streamed text '" + sent + "' is not a prefix of the reply '" + finalText + "'");
    }
    String rest = finalText.substring(sent.length());
    sent = finalText;
    return rest;
  }

  /** The length of the longest tail of {@code text} that begins a stop string, or that ends in a half-decoded character. */
  private int heldBack(String text) {
    if (!text.isEmpty() && text.charAt(text.length() - 1) == '\uFFFD') {
      return 1;
    }
    for (int n = Math.min(longest - 1, text.length()); n > 0; n--) {
      String tail = text.substring(text.length() - n);
      for (String s : stops) {
        if (s.startsWith(tail)) {
          return n;
        }
      }
    }
    return 0;
  }
}
