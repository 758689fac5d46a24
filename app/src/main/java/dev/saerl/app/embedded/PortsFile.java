package dev.saerl.app.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Remembers the ports a service used in its data dir, so a restart keeps its address when it can. */
final class PortsFile {
  private final Path file;
  private final Properties props = new Properties();

  PortsFile(Path file) {
    this.file = file;
    if (Files.exists(file)) {
      try (Reader r = Files.newBufferedReader(file)) {
        props.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
  }

  int preferred(String name) {
    try {
      return Integer.parseInt(props.getProperty(name, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A remembered text value, or {@code fallback} when none is. */
  String text(String name, String fallback) {
    return props.getProperty(name, fallback);
  }

  void save(String name, int port) {
    saveText(name, Integer.toString(port));
  }

  void saveText(String name, String value) {
    props.setProperty(name, value);
    try (Writer w = Files.newBufferedWriter(file)) {
      props.store(w, "ports last used by saerl's embedded services");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
