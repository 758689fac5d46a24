package dev.saerl.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.core.verify.Verifier;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Checks answers: reads JSONL lines {\"reference\": ..., \"response\": ...} and writes one verdict per line",
        "{\"line\", \"correct\", \"outcome\", \"extracted\", \"class\", \"rule\", \"comparison\"}: outcome is CORRECT,",
        "INCORRECT, NO_ANSWER or TIMEOUT; rule says how the final answer was found (boxed, the_answer_is, ...), class",
        "what kind of answer it was judged as (rational, interval, ...), comparison the rule that decided",
        "(exact_rational, random_points, hedged, ...). A line that is not valid JSON or lacks a field gets",
        "{\"line\", \"error\"} and the rest still run. A summary by outcome, rule, class and comparison goes to stderr.",
        "See docs/verifier.md."})
public final class VerifyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "JSONL input.")
  Path input;

  @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write verdicts here instead of standard output.")
  Path output;

  /** Counts of verdicts and of correct ones, by a key. */
  private static final class Tally {
    final Map<String, long[]> counts = new TreeMap<>();

    void add(String key, boolean correct) {
      long[] c = counts.computeIfAbsent(key == null ? "-" : key, k -> new long[2]);
      c[0]++;
      c[1] += correct ? 1 : 0;
    }

    void print(PrintStream out, String title) {
      out.printf("  by %s:%n", title);
      counts.forEach((k, c) -> out.printf("    %-40s %7d  %7d correct%n", k, c[0], c[1]));
    }
  }

  @Override
  public Integer call() throws IOException {
    ObjectMapper json = new ObjectMapper();
    long lines = 0;
    long errors = 0;
    Tally outcomes = new Tally();
    Tally rules = new Tally();
    Tally classes = new Tally();
    Tally comparisons = new Tally();
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
          Verifier.Result r = Verifier.verify(ref.asText(), resp.asText());
          verdict.put("correct", r.correct()).put("outcome", r.outcome().name()).put("extracted", r.extracted())
              .put("class", r.answerClass()).put("rule", r.rule()).put("comparison", r.comparison());
          outcomes.add(r.outcome().name(), r.correct());
          rules.add(r.rule(), r.correct());
          classes.add(r.answerClass(), r.correct());
          comparisons.add(r.comparison(), r.correct());
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
    long correct = outcomes.counts.getOrDefault("CORRECT", new long[2])[0];
    System.err.printf("%s: %d lines, %d correct, %d errors%n", input, lines, correct, errors);
    outcomes.print(System.err, "outcome");
    rules.print(System.err, "extraction rule");
    classes.print(System.err, "answer class");
    comparisons.print(System.err, "comparison rule");
    return 0;
  }
}
