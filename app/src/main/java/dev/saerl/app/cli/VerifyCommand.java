package dev.saerl.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.core.verify.Verifier;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Checks answers: reads JSONL lines {\"reference\": ..., \"response\": ...} and writes one verdict per line",
        "{\"line\", \"correct\", \"extracted\", \"rule\"} (rule = how the final answer was found). A line that is not valid",
        "JSON or lacks a field gets {\"line\", \"error\"} and the rest still run. A summary goes to stderr."})
public final class VerifyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "JSONL input.")
  Path input;

  @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write verdicts here instead of standard output.")
  Path output;

  @Override
  public Integer call() throws IOException {
    ObjectMapper json = new ObjectMapper();
    long correct = 0;
    long lines = 0;
    long errors = 0;
    TreeMap<String, Long> rules = new TreeMap<>();
    try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
         Writer out = output == null ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
             : Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
      for (String line; (line = in.readLine()) != null; ) {
        lines++;
        if (line.isBlank()) {
          continue;
        }
        ObjectNode verdict = json.createObjectNode().put("line", lines);
        try {
          JsonNode row = json.readTree(line);
          JsonNode ref = row.path("reference");
          JsonNode resp = row.path("response");
          if (!ref.isValueNode() || !resp.isTextual()) {
            throw new IllegalArgumentException("needs a \"reference\" value and a \"response\" string");
          }
          var r = Verifier.verify(ref.asText(), resp.asText());
          verdict.put("correct", r.correct()).put("extracted", r.extracted()).put("rule", r.rule());
          correct += r.correct() ? 1 : 0;
          rules.merge(r.rule(), 1L, Long::sum);
        } catch (IOException | IllegalArgumentException e) {
          errors++;
          verdict.put("error", input + ":" + lines + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        out.write(verdict.toString());
        out.write('\n');
      }
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IllegalArgumentException(input + ": not UTF-8 near line " + (lines + 1));
    }
    System.err.printf("%s: %d lines, %d correct, %d errors; rules %s%n", input, lines, correct, errors, rules);
    return 0;
  }
}
