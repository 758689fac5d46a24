package dev.saerl.producers.examine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.schemas.avro.FeatureLabel;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Labels a dataset's top features with an examiner and scores each label by detection. For each of the first
 * {@code features} features of the Streams app's feature table ({@code GET /api/datasets/{d}/features}), its distinct
 * top activating steps ({@code GET .../features/{id}}) are dealt alternately into a labelling half, shown to the
 * examiner to write a short label, and a held-out half. The held-out steps and as many steps that are not among
 * this feature's top steps (other features' top steps, seeded draw) are then shown one at a time with only the
 * label, and the examiner answers yes or no: {@code detection_accuracy} is the share it got right, 0.5 being chance.
 * A reply with neither word counts as wrong. The negatives are "not among this feature's recorded top steps", not
 * "inactive": the API keeps only the strongest steps per feature.
 */
public final class FeatureLabeller {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String LABEL_PROMPT = "Here are steps of a model's reasoning on which one of its internal features is "
      + "strongly active:\n{steps}\nIn at most eight words, what do these steps have in common? Answer with the label only.";
  public static final String DETECT_PROMPT = "A feature of a language model is described as: \"{label}\". Is it active on "
      + "this step?\nStep: {step}\nAnswer yes or no.";

  /** Where the Streams app is, and how much to ask. */
  public record Settings(URI statsUrl, String statsToken, int features, int minSteps, long seed) {
    public Settings {
      if (features < 1 || minSteps < 4) {
        throw new IllegalArgumentException("features >= 1 and min steps >= 4 (two to label from, two held out)");
      }
    }
  }

  /** What a run did: the labels published and the features skipped for having too few distinct steps. */
  public record Summary(List<FeatureLabel> labels, int skipped, int unparsed, boolean stoppedAtDeadline) {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("labelled " + labels.size() + " features (" + skipped + " skipped: too few distinct steps); "
          + unparsed + " detection replies were neither yes nor no" + (stoppedAtDeadline ? "; stopped at the deadline" : ""));
      for (FeatureLabel l : labels) {
        b.append(String.format(Locale.ROOT, "%n  feature %d: \"%s\" detection %d/%d = %.2f", l.getFeatureId(), l.getLabel(),
            l.getDetectionCorrect(), l.getDetectionTrials(), l.getDetectionAccuracy()));
      }
      return b.toString();
    }
  }

  private final ExaminerClient examiner;
  private final Settings settings;
  private final Consumer<FeatureLabel> publish;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public FeatureLabeller(ExaminerClient examiner, Settings settings, Consumer<FeatureLabel> publish) {
    this.examiner = examiner;
    this.settings = settings;
    this.publish = publish;
  }

  public Summary run(String dataset) throws IOException, InterruptedException {
    String base = "/api/datasets/" + URLEncoder.encode(dataset, StandardCharsets.UTF_8).replace("+", "%20");
    JsonNode version = get(base);
    JsonNode table = get(base + "/features?limit=" + Math.max(settings.features(), 50));
    List<Integer> ids = new ArrayList<>();
    List<List<String>> steps = new ArrayList<>();
    for (JsonNode f : table) {
      int id = f.get("feature_id").asInt();
      ids.add(id);
      Set<String> distinct = new LinkedHashSet<>();
      for (JsonNode x : get(base + "/features/" + id).get("examples")) {
        distinct.add(x.get("text").asText().strip());
      }
      steps.add(List.copyOf(distinct));
    }
    List<FeatureLabel> out = new ArrayList<>();
    int skipped = 0;
    int[] unparsed = {0};
    Random random = new Random(settings.seed());
    for (int i = 0; i < Math.min(settings.features(), ids.size()); i++) {
      List<String> own = steps.get(i);
      if (own.size() < settings.minSteps()) {
        skipped++;
        continue;
      }
      List<String> shown = new ArrayList<>();
      List<String> heldOut = new ArrayList<>();
      for (int k = 0; k < own.size(); k++) {
        (k % 2 == 0 ? shown : heldOut).add(own.get(k));
      }
      List<String> others = new ArrayList<>();
      for (int j = 0; j < steps.size(); j++) {
        if (j != i) {
          steps.get(j).stream().filter(s -> !own.contains(s) && !others.contains(s)).forEach(others::add);
        }
      }
      Collections.shuffle(others, random);
      List<String> negatives = others.subList(0, Math.min(heldOut.size(), others.size()));
      try {
        out.add(label(dataset, version, ids.get(i), shown, heldOut, negatives, unparsed));
        publish.accept(out.getLast());
      } catch (ExaminerClient.ExaminerException e) {
        if (e.deadline()) {
          return new Summary(out, skipped, unparsed[0], true);
        }
        throw e;
      }
    }
    return new Summary(out, skipped, unparsed[0], false);
  }

  private FeatureLabel label(String dataset, JsonNode version, int feature, List<String> shown, List<String> positives,
                             List<String> negatives, int[] unparsed) throws ExaminerClient.ExaminerException, InterruptedException {
    StringBuilder list = new StringBuilder();
    for (int k = 0; k < shown.size(); k++) {
      list.append(k + 1).append(". ").append(shown.get(k)).append('\n');
    }
    ExaminerClient.Reply reply = examiner.chat(LABEL_PROMPT.replace("{steps}", list.toString().strip()), 0, 32, settings.seed());
    String label = cleanLabel(reply.text());
    int correct = 0;
    int trials = 0;
    for (boolean active : new boolean[] {true, false}) {
      for (String step : active ? positives : negatives) {
        String answer = examiner.chat(DETECT_PROMPT.replace("{label}", label).replace("{step}", step), 0, 8, settings.seed()).text();
        Boolean yes = yesNo(answer);
        if (yes == null) {
          unparsed[0]++;
        } else if (yes == active) {
          correct++;
        }
        trials++;
      }
    }
    return FeatureLabel.newBuilder().setDataset(dataset).setModelVersion(version.get("model_version").asText())
        .setSaeId(version.get("sae_id").asText()).setFeatureId(feature).setLabel(label).setLabelSteps(shown.size())
        .setDetectionTrials(trials).setDetectionCorrect(correct).setDetectionAccuracy(trials == 0 ? 0 : (double) correct / trials)
        .setEndpoint(reply.endpoint()).setModel(reply.model()).build();
  }

  static String cleanLabel(String reply) {
    String first = reply.strip().lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
    first = first.replaceFirst("(?i)^label\\s*:\\s*", "").replaceAll("^\"|\"$", "");
    return first.isEmpty() ? "(empty)" : first.length() > 200 ? first.substring(0, 200) : first;
  }

  /** True for a reply starting with yes, false for no, null for anything else. */
  static Boolean yesNo(String reply) {
    String w = reply.strip().toLowerCase(Locale.ROOT).replaceAll("^[^a-z]+", "");
    return w.startsWith("yes") ? Boolean.TRUE : w.startsWith("no") ? Boolean.FALSE : null;
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(settings.statsUrl().toString().replaceAll("/$", "") + path))
        .timeout(Duration.ofSeconds(30));
    if (settings.statsToken() != null) {
      r.header("Authorization", "Bearer " + settings.statsToken());
    }
    HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException("GET " + path + " on the Streams app answered " + resp.statusCode() + ": " + resp.body());
    }
    return JSON.readTree(resp.body());
  }
}
