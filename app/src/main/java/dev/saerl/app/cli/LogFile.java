package dev.saerl.app.cli;

import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * Sends the full log to a file and quiets the console, for commands that draw their own stage
 * lines (the demo): log4j2.xml reads these properties, so setting them and reconfiguring is all it
 * takes. The file is only created once something is logged.
 */
final class LogFile {
  private LogFile() {}

  /** From now on every line (saerl's DEBUG included) goes to {@code file}; the console keeps saerl's warnings and Kafka's errors. */
  static Path start(Path file) {
    Path absolute = file.toAbsolutePath();
    System.setProperty("saerl.log.file", absolute.toString());
    System.setProperty("saerl.console.level", "WARN");
    System.setProperty("saerl.console.kafka.level", "ERROR");
    if (LogManager.getContext(false) instanceof LoggerContext context) {
      context.reconfigure();
    }
    return absolute;
  }
}
