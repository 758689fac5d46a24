package dev.saerl.app.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr (me.tongfei:progressbar): count, rate, elapsed and ETA, redrawn in
 * place when stderr is a terminal, whatever stdout is (so {@code | tee} keeps the bars), and as a
 * plain line every {@value #PLAIN_INTERVAL_MS} ms when it is not (a log stays readable). A stage
 * that stops early ends at its real count with "stopped at N of M", never at 100%.
 */
public final class ProgressBar implements AutoCloseable {
  static final int PLAIN_INTERVAL_MS = 30_000;
  private static final PrintStream STDERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

  private final me.tongfei.progressbar.ProgressBar bar;
  private final long total;
  private long done;
  private boolean closed;

  public ProgressBar(String label, long total) {
    this(label, total, "", 1);
  }

  /** A bar counting in {@code unit}s of {@code unitSize} (e.g. "KiB", 1024), for totals that are not items. */
  public ProgressBar(String label, long total, String unit, long unitSize) {
    this(label, total, unit, unitSize, STDERR, stderrIsTerminal());
  }

  ProgressBar(String label, long total, String unit, long unitSize, PrintStream out, boolean terminal) {
    this.total = Math.max(1, total);
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(label).setInitialMax(this.total).showSpeed()
        .setUnit(unit, unitSize).setMaxRenderedLength(terminal ? -1 : 110);
    if (terminal) {
      b.setStyle(ProgressBarStyle.UNICODE_BLOCK).setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(out));
    } else {
      b.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(PLAIN_INTERVAL_MS)
          .setConsumer(new DelegatingProgressBarConsumer(out::println, 110));
    }
    this.bar = b.build();
  }

  /**
   * Whether stderr is a terminal: the launcher knows ({@code [ -t 2 ]}) and says so in
   * {@code saerl.stderr.terminal}; without it, whether the JVM has a console.
   */
  static boolean stderrIsTerminal() {
    String told = System.getProperty("saerl.stderr.terminal");
    return told != null ? Boolean.parseBoolean(told) : System.console() != null;
  }

  public void update(long n) {
    if (!closed) {
      done = n;
      bar.stepTo(Math.min(n, total));
    }
  }

  /** The count so far. */
  public long done() {
    return done;
  }

  /** What the last line says when the stage ends here: nothing when it finished, otherwise how far it got. */
  static String ending(long done, long total) {
    return done >= total ? "" : " stopped at " + done + " of " + total;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      bar.setExtraMessage(ending(done, total));
      bar.close();
    }
  }
}
