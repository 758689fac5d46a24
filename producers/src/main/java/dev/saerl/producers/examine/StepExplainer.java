package dev.saerl.producers.examine;

import dev.saerl.core.ids.Sha256;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Step;
import dev.saerl.schemas.avro.StepExplanation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Step expansion: asks an examiner to explain the steps of a dataset's samples ("explain this step"), one request per
 * step, and hands each reply to {@code publish} as a {@link StepExplanation} keyed by the sample and step, with the
 * endpoint and model that wrote it. Only samples of KNOWN-train queries whose whole group is KNOWN are shown to the
 * examiner ({@link ExamineEligibility#knownTrainQueryIds}): never a sample of an UNKNOWN, KNOWN_VAL or KNOWN_SELECT
 * query, so no held-out question or answer leaves saerl for an outside endpoint or comes back as text. Which samples
 * is a seeded draw, so a rerun with the same seed explains the same ones.
 */
public final class StepExplainer {
  public static final String DEFAULT_PROMPT = "Here is a math word problem and the start of a solution.\n\nProblem: {question}\n\n"
      + "Solution so far: {before}\n\nIn one or two sentences, explain what this next step does and whether it is right.\n"
      + "Next step: {step}";
  private static final int MAX_CHARS = 2_000;

  /**
   * How to ask: {@code prompt} contains {@code {step}} and may contain {@code {question}} and {@code {before}} (the
   * sample's completion before the step). {@code modelVersion} null: samples of every version.
   */
  public record Settings(String prompt, int samples, int stepsPerSample, String modelVersion, int maxTokens, long seed) {
    public Settings {
      if (!prompt.contains("{step}")) {
        throw new IllegalArgumentException("the explain prompt must contain {step}");
      }
      if (samples < 1 || stepsPerSample < 1 || maxTokens < 1) {
        throw new IllegalArgumentException("samples, steps per sample and max tokens must be >= 1");
      }
    }
  }

  /** What a run did. */
  public record Summary(int generations, int eligible, int heldOut, int samples, int explained, int failed,
                        boolean stoppedAtDeadline, List<String> examples) {
    @Override
    public String toString() {
      return "read " + generations + " samples; " + eligible + " of KNOWN-train queries (" + heldOut + " of held-out or "
          + "selection queries not shown); explained " + explained + " steps of " + samples + " samples, failed requests "
          + failed + (stoppedAtDeadline ? "; stopped at the deadline" : "");
    }
  }

  private final ExaminerClient examiner;
  private final Settings settings;
  private final Consumer<StepExplanation> publish;

  public StepExplainer(ExaminerClient examiner, Settings settings, Consumer<StepExplanation> publish) {
    this.examiner = examiner;
    this.settings = settings;
    this.publish = publish;
  }

  /** {@code queries}: the dataset's queries (for the rule and the question text); {@code generations}: its samples. */
  public Summary run(Collection<Query> queries, Collection<Generation> generations) throws InterruptedException {
    Map<String, Query> byId = queries.stream().collect(Collectors.toMap(Query::getQueryId, Function.identity(), (a, b) -> b));
    Set<String> known = ExamineEligibility.knownTrainQueryIds(queries);
    List<Generation> ofVersion = generations.stream()
        .filter(g -> settings.modelVersion() == null || settings.modelVersion().equals(g.getModelVersion())).toList();
    List<Generation> eligible = ofVersion.stream().filter(g -> known.contains(g.getQueryId()) && !g.getSteps().isEmpty())
        .sorted(Comparator.comparing((Generation g) -> Sha256.of(settings.seed() + "\n" + g.getSampleId())))
        .limit(settings.samples()).toList();
    int heldOut = (int) ofVersion.stream().filter(g -> !known.contains(g.getQueryId())).count();
    int eligibleCount = ofVersion.size() - heldOut;
    List<String> examples = new ArrayList<>();
    int explained = 0;
    int failed = 0;
    for (Generation g : eligible) {
      Query q = byId.get(g.getQueryId());
      List<Step> steps = g.getSteps();
      for (int i = 0; i < Math.min(steps.size(), settings.stepsPerSample()); i++) {
        Step step = steps.get(i);
        String before = g.getCompletion().substring(0, Math.min(step.getCharStart(), g.getCompletion().length())).strip();
        String prompt = settings.prompt().replace("{question}", q.getQuestion())
            .replace("{before}", before.isEmpty() ? "(nothing yet)" : before).replace("{step}", step.getText().strip());
        try {
          ExaminerClient.Reply reply = examiner.chat(prompt, 0, settings.maxTokens(), settings.seed() + step.getIndex());
          String text = reply.text().strip();
          publish.accept(StepExplanation.newBuilder().setSampleId(g.getSampleId()).setQueryId(g.getQueryId())
              .setDataset(g.getDataset()).setModelVersion(g.getModelVersion()).setStepIndex(step.getIndex())
              .setStepText(step.getText()).setExplanation(text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text)
              .setEndpoint(reply.endpoint()).setModel(reply.model()).build());
          explained++;
        } catch (ExaminerClient.ExaminerException e) {
          failed++;
          if (e.deadline()) {
            return new Summary(generations.size(), eligibleCount, heldOut, eligible.size(), explained, failed, true, examples);
          }
          if (examples.size() < 5) {
            examples.add(g.getSampleId() + " step " + step.getIndex() + " failed: " + e.getMessage());
          }
        }
      }
    }
    return new Summary(generations.size(), eligibleCount, heldOut, eligible.size(), explained, failed, false, examples);
  }
}
