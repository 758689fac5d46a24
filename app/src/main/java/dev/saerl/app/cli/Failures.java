package dev.saerl.app.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How a failed command reports itself: the exception's type and message, then each cause on its
 * own line ("caused by: ..."), so that "saerl verify: /nonexistent" becomes "no such file:
 * /nonexistent"; the stack only with --verbose (or SAERL_VERBOSE=1).
 */
final class Failures {
  private Failures() {}

  /** Whether SAERL_VERBOSE asks for stack traces (the other way is --verbose). */
  static boolean verboseByEnvironment() {
    String env = System.getenv("SAERL_VERBOSE");
    return env != null && !env.isBlank() && !env.equals("0");
  }

  /** Prints {@code e} for {@code command}; returns the exit code. */
  static int print(PrintWriter err, String command, Throwable e, boolean verbose) {
    err.println("saerl " + command + ": " + describe(e));
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    seen.put(e, true);
    for (Throwable c = e.getCause(); c != null && seen.put(c, true) == null; c = c.getCause()) {
      err.println("  caused by: " + describe(c));
    }
    if (verbose) {
      e.printStackTrace(err);
    } else if (!refusal(e)) {
      err.println("  (--verbose or SAERL_VERBOSE=1 prints the stack)");
    }
    err.flush();
    return 1;
  }

  /** A refusal of bad input says all there is to say: its stack would only show where the check is. */
  private static boolean refusal(Throwable e) {
    return e.getCause() == null && (e.getClass() == IllegalArgumentException.class || e instanceof NoSuchFileException
        || e instanceof AccessDeniedException);
  }

  /** One line: the type (short for the common ones, qualified otherwise) and the message, files named. */
  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException f) {
      return "no such file: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
    }
    if (e instanceof AccessDeniedException f) {
      return "permission denied: " + f.getFile();
    }
    if (e instanceof FileSystemException f) {
      return f.getClass().getSimpleName() + ": " + f.getMessage();
    }
    String message = e.getMessage();
    String type = e.getClass().getName().startsWith("java.") ? e.getClass().getSimpleName() : e.getClass().getName();
    if (e.getClass() == IllegalArgumentException.class && message != null) {
      return message; // our own refusals of bad input already read as sentences
    }
    return message == null || message.isBlank() ? type : type + ": " + message;
  }
}
