package dev.saerl.app.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr, drawn only when a person is watching (a console). */
public final class ProgressBar implements AutoCloseable {
  private final PrintStream out = System.err;
  private final String label;
  private final long total;
  private final boolean enabled = System.console() != null;
  private long lastDraw;
  private boolean closed;

  public ProgressBar(String label, long total) {
    this.label = label;
    this.total = Math.max(1, total);
  }

  public void update(long done) {
    long now = System.nanoTime();
    if (!enabled || now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    int pct = (int) Math.min(100, done * 100 / total);
    int filled = pct * 30 / 100;
    out.printf("\r%s [%s%s] %3d%%", label, "#".repeat(filled), " ".repeat(30 - filled), pct);
    out.flush();
  }

  @Override
  public void close() {
    if (enabled && !closed) {
      closed = true;
      lastDraw = 0;
      update(total);
      out.println();
    }
  }
}
