package dev.saerl.producers.ingest;

import java.util.Map;

/**
 * One row as read from a dataset file: its fields, or why it could not be read.
 *
 * @param line 1-based line (JSONL) or record number (CSV)
 * @param raw the row's original text (for dead letters)
 */
public record RawRow(String file, long line, Map<String, String> fields, String raw, String readError) {
  public static RawRow error(String file, long line, String raw, String error) {
    return new RawRow(file, line, Map.of(), raw, error);
  }
}
