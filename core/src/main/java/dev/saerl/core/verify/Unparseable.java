package dev.saerl.core.verify;

/** An answer outside the LaTeX subset the parser reads; such answers are compared as text. */
final class Unparseable extends RuntimeException {
  Unparseable(String why) {
    super(why, null, false, false);
  }
}
