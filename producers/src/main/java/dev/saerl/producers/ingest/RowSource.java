package dev.saerl.producers.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Streams the rows of a JSONL or CSV file (never the whole file in memory). A row that is not
 * valid UTF-8 or not parseable is handed on with its read error, so the rows around it still go in.
 */
public final class RowSource {
  public static final int MAX_LINE_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Fields whose type is checked: the question must be a string; answers and ids may also be numbers. */
  private static final java.util.List<String> TEXT_FIELDS = java.util.List.of("question", "problem", "answer", "solution", "id", "group_id");

  private RowSource() {}

  /** Calls {@code rows} for every row; {@code bytesRead} reports progress. */
  public static void read(Path file, Consumer<RawRow> rows, LongConsumer bytesRead) {
    String name = file.toString();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      if (name.toLowerCase().endsWith(".csv")) {
        readCsv(file, name, rows, bytesRead);
      } else {
        readJsonl(name, in, rows, bytesRead);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void readJsonl(String file, InputStream in, Consumer<RawRow> rows, LongConsumer progress) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    long lineNo = 0;
    long bytes = 0;
    boolean tooLong = false;
    for (int b; ; ) {
      b = in.read();
      if (b == -1 || b == '\n') {
        if (b != -1 || line.size() > 0 || tooLong) {
          lineNo++;
          rows.accept(jsonRow(file, lineNo, line.toByteArray(), tooLong));
          progress.accept(bytes);
        }
        line.reset();
        tooLong = false;
        if (b == -1) {
          return;
        }
      } else if (line.size() < MAX_LINE_BYTES) {
        line.write(b);
      } else {
        tooLong = true;
      }
      bytes++;
    }
  }

  private static RawRow jsonRow(String file, long lineNo, byte[] bytes, boolean tooLong) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return RawRow.error(file, lineNo, new String(bytes, StandardCharsets.UTF_8), "bad_utf8:line is not valid UTF-8");
    }
    if (tooLong) {
      return RawRow.error(file, lineNo, text, "too_long:line is longer than " + MAX_LINE_BYTES + " bytes");
    }
    if (text.isBlank()) {
      return RawRow.error(file, lineNo, text, "empty_line:blank line");
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (IOException e) {
      return RawRow.error(file, lineNo, text, "bad_json:" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    if (!node.isObject()) {
      return RawRow.error(file, lineNo, text, "bad_json:line is JSON but not an object");
    }
    for (String name : TEXT_FIELDS) {
      JsonNode v = node.get(name);
      if (v != null && !v.isNull() && !v.isTextual() && !(v.isNumber() && !name.equals("question") && !name.equals("problem"))) {
        return RawRow.error(file, lineNo, text, "wrong_type:field '" + name + "' is " + v.getNodeType().name().toLowerCase()
            + (name.equals("question") || name.equals("problem") ? ", not a string" : ", not a string or number"));
      }
    }
    Map<String, String> fields = new HashMap<>();
    node.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
    return new RawRow(file, lineNo, fields, text, null);
  }

  /**
   * CSV per RFC 4180 with a header (a UTF-8 byte-order mark is dropped). A record the parser cannot
   * read (a broken quote swallows the rest of the file) becomes a dead letter for the physical line
   * where it starts, and parsing resumes on the next line, so the good rows after it are kept.
   * Row numbers are physical line numbers.
   */
  private static void readCsv(Path path, String file, Consumer<RawRow> rows, LongConsumer progress) throws IOException {
    CSVFormat base = CSVFormat.RFC4180.builder().setIgnoreSurroundingSpaces(true).build();
    String[] header = null;
    long skip = 0; // physical lines before the current parser's input
    while (true) {
      try (Reader reader = csvReader(path, skip)) {
        CSVFormat format = header == null ? base.builder().setHeader().setSkipHeaderRecord(true).build()
            : base.builder().setHeader(header).setSkipHeaderRecord(false).build();
        try (var parser = format.parse(reader)) {
          if (header == null) {
            header = parser.getHeaderNames().toArray(String[]::new);
          }
          var it = parser.iterator();
          long consumed = parser.getCurrentLineNumber(); // lines this parser consumed so far
          boolean resumed = false;
          while (true) {
            long startLine = skip + consumed + 1;
            CSVRecord rec;
            try {
              if (!it.hasNext()) {
                return;
              }
              rec = it.next();
            } catch (UncheckedIOException | IllegalStateException e) {
              rows.accept(RawRow.error(file, startLine, "", "bad_csv:" + e.getMessage()));
              skip = startLine; // resume on the line after the broken record's first line
              resumed = true;
              break;
            }
            consumed = parser.getCurrentLineNumber();
            String raw = String.join(",", rec.values());
            if (raw.indexOf('\uFFFD') >= 0) {
              rows.accept(RawRow.error(file, startLine, raw, "bad_utf8:record is not valid UTF-8"));
            } else if (!rec.isConsistent()) {
              rows.accept(RawRow.error(file, startLine, raw, "bad_csv:record has " + rec.size() + " fields, header has " + header.length));
            } else {
              rows.accept(new RawRow(file, startLine, new HashMap<>(rec.toMap()), raw, null));
            }
            progress.accept(rec.getCharacterPosition());
          }
          if (!resumed) {
            return;
          }
        }
      }
    }
  }

  /** A UTF-8 reader of {@code path} positioned after {@code skipLines} lines, without a leading byte-order mark. */
  private static Reader csvReader(Path path, long skipLines) throws IOException {
    Reader r = new java.io.BufferedReader(new InputStreamReader(new BufferedInputStream(Files.newInputStream(path), 1 << 16),
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE)));
    r.mark(1);
    if (r.read() != '\uFEFF') {
      r.reset();
    }
    for (long n = 0; n < skipLines; ) {
      int c = r.read();
      if (c == -1) {
        break;
      }
      n += c == '\n' ? 1 : 0;
    }
    return r;
  }
}
