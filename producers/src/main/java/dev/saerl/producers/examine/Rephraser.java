package dev.saerl.producers.examine;

import dev.saerl.core.ids.Sha256;
import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Provenance;
import dev.saerl.schemas.avro.Query;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Asks an examiner for rephrasings of a dataset's eligible queries ({@link ExamineEligibility}), keeps those that
 * pass {@link RephrasingCheck} (and, with {@link Settings#solveCheck()}, that the examiner itself answers with the
 * reference answer, judged by the {@link Verifier}), and hands each kept one to {@code publish} as a query with the
 * original's group, split, reference answer and solution, a stable id and its {@link Provenance}. Stops at the
 * examiner's deadline and says so in the summary.
 */
public final class Rephraser {
  public static final String KIND = "rephrasing";
  public static final String DEFAULT_PROMPT = "Rewrite this math word problem in different words. Keep every number and "
      + "the question it asks exactly the same, and do not solve it. Answer with the rewritten problem only.\n\n"
      + "Problem: {question}";

  /** How to ask: {@code prompt} and {@code solvePrompt} contain {@code {question}}. */
  public record Settings(String prompt, String solvePrompt, boolean solveCheck, double temperature, int maxTokens,
                         int perQuery, int limit, long seed) {
    public Settings {
      if (!prompt.contains("{question}") || !solvePrompt.contains("{question}")) {
        throw new IllegalArgumentException("examiner prompts must contain {question}");
      }
      if (perQuery < 1 || limit < 0 || maxTokens < 1) {
        throw new IllegalArgumentException("per-query >= 1, limit >= 0 (0: all), max tokens >= 1");
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_PROMPT, "{question}", true, 0.8, 160, 1, 0, 17);
    }
  }

  /** What a run did; {@code rejected} counts by reason, {@code examples} holds the first few refusals. */
  public record Summary(int read, int eligible, int notKnown, int asked, int accepted, Map<String, Integer> rejected,
                        int failed, boolean stoppedAtDeadline, List<String> examples) {
    @Override
    public String toString() {
      return "read " + read + " queries; " + eligible + " eligible (" + notKnown + " not rephrased: not KNOWN-train or a "
          + "rephrasing); asked " + asked + ", accepted " + accepted + ", rejected " + rejected + ", failed requests "
          + failed + (stoppedAtDeadline ? "; stopped at the deadline" : "");
    }
  }

  private final ExaminerClient examiner;
  private final Settings settings;
  private final Consumer<Query> publish;

  public Rephraser(ExaminerClient examiner, Settings settings, Consumer<Query> publish) {
    this.examiner = examiner;
    this.settings = settings;
    this.publish = publish;
  }

  public Summary run(Collection<Query> dataset) throws InterruptedException {
    List<Query> all = ExamineEligibility.eligible(dataset);
    List<Query> eligible = settings.limit() > 0 && all.size() > settings.limit() ? all.subList(0, settings.limit()) : all;
    Map<String, Integer> rejected = new TreeMap<>();
    List<String> examples = new ArrayList<>();
    int asked = 0;
    int accepted = 0;
    int failed = 0;
    boolean deadline = false;
    outer:
    for (Query q : eligible) {
      for (int k = 0; k < settings.perQuery(); k++) {
        asked++;
        try {
          String rejection = attempt(q, k);
          if (rejection == null) {
            accepted++;
          } else {
            rejected.merge(rejection.substring(0, rejection.indexOf(':')), 1, Integer::sum);
            if (examples.size() < 5) {
              examples.add(q.getQueryId() + " " + rejection);
            }
          }
        } catch (ExaminerClient.ExaminerException e) {
          failed++;
          if (e.deadline()) {
            deadline = true;
            break outer;
          }
          if (examples.size() < 5) {
            examples.add(q.getQueryId() + " failed: " + e.getMessage());
          }
        }
      }
    }
    return new Summary(dataset.size(), all.size(), dataset.size() - all.size(), asked, accepted, rejected, failed, deadline, examples);
  }

  /** One rephrasing of {@code q}: null when published, else "reason: detail". */
  private String attempt(Query q, int k) throws ExaminerClient.ExaminerException, InterruptedException {
    long seed = settings.seed() + 1_000_003L * k + q.getQueryId().hashCode();
    ExaminerClient.Reply reply = examiner.chat(settings.prompt().replace("{question}", q.getQuestion()), settings.temperature(),
        settings.maxTokens(), seed);
    RephrasingCheck.Decision d = RephrasingCheck.check(q.getQuestion(), reply.text());
    if (!d.accepted()) {
      return d.rejection() + ": " + quote(d.text());
    }
    String rule = "numbers-kept";
    if (settings.solveCheck()) {
      ExaminerClient.Reply solved = examiner.chat(settings.solvePrompt().replace("{question}", d.text()), 0, settings.maxTokens(), seed);
      Verifier.Result v = Verifier.verify(q.getReferenceAnswer(), solved.text());
      if (!v.correct()) {
        return "not-solved: " + quote(d.text()) + " answered " + v.extracted() + ", reference " + q.getReferenceAnswer();
      }
      rule = "numbers-kept+solved";
    }
    publish.accept(rephrased(q, d.text(), reply, rule));
    return null;
  }

  /** The published record; refuses an original that the eligibility rule does not admit, whoever calls it. */
  public static Query rephrased(Query original, String text, ExaminerClient.Reply reply, String rule) {
    if (!ExamineEligibility.isEligible(original)) {
      throw new IllegalStateException("query " + original.getQueryId() + " (split " + original.getSplit()
          + (original.getProvenance() == null ? "" : ", itself a rephrasing") + ") must not be rephrased");
    }
    String id = "qr-" + Sha256.of(original.getQueryId() + "\n" + text).substring(0, 24);
    Provenance p = Provenance.newBuilder().setKind(KIND).setSourceQueryId(original.getQueryId()).setEndpoint(reply.endpoint())
        .setModel(reply.model()).setCheck(rule).build();
    return Query.newBuilder(original).setQueryId(id).setQuestion(text).setProvenance(p).build();
  }

  private static String quote(String s) {
    return "\"" + (s.length() > 120 ? s.substring(0, 120) + "..." : s) + "\"";
  }
}
