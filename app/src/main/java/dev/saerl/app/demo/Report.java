package dev.saerl.app.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.core.stats.Wilson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The demo's HTML report: accuracy per round and arm, fix rates, top features with their examples, the log. */
public final class Report {
  /**
   * One colour per arm in every figure and table: the finetuning arms (accuracy) and the steering
   * arms of the corrections (fix rates) each keep theirs; the controls are greys and browns.
   */
  private static final Map<String, String> ARM_COLOURS = Map.ofEntries(
      Map.entry("base", "#555555"), Map.entry("feature-rl", "#1f6fb2"), Map.entry("dpo", "#0a6a2a"),
      Map.entry("sft", "#7a1fb2"), Map.entry("star", "#b25f1f"), Map.entry("random-direction", "#a21b1b"),
      Map.entry("random_direction", "#a21b1b"),
      Map.entry("plan", "#1f6fb2"), Map.entry("conditional", "#0a6a2a"), Map.entry("group_averaged", "#7a1fb2"),
      Map.entry("unsteered", "#555555"), Map.entry("sign_flipped", "#b25f1f"));
  private static final String[] OTHER_COLOURS = {"#0b7d86", "#8a6d00", "#c2185b", "#33691e"};

  /** What the run was: the names the report carries. */
  record Run(String dataset, Path datasetFile, dev.saerl.workers.pack.ModelPack startPack, Path dataDir) {}

  private Report() {}

  static String colour(String arm) {
    String c = ARM_COLOURS.get(arm);
    return c != null ? c : OTHER_COLOURS[Math.floorMod(arm.hashCode(), OTHER_COLOURS.length)];
  }

  private static String swatch(String arm) {
    return "<span style=\"display:inline-block;width:.8em;height:.8em;margin-right:.3em;background:" + colour(arm) + "\"></span>"
        + esc(arm);
  }

  static void write(Path file, Run run, List<Demo.Row> rows, List<Demo.FixRate> fixRates, List<Demo.TestTime> testTime,
                    String statsUrl, List<String> log)
      throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>saerl demo report</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}")
        .append("th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:right}th{background:#f4f4f4}")
        .append("td.t{text-align:left;font-family:ui-monospace,monospace}pre{background:#f8f8f8;padding:.5em;font-size:12px}")
        .append("</style></head><body><h1>saerl demo report: ").append(esc(run.dataset())).append("</h1>");
    h.append(String.format("<p>dataset <b>%s</b> (%s); starting pack %s, version %s (%s); data dir %s</p>", esc(run.dataset()),
        esc(run.datasetFile().toString()), esc(run.startPack().name()), esc(run.startPack().version()),
        esc(run.startPack().dir().toString()), esc(run.dataDir().toAbsolutePath().toString())));
    long unknownQueries = rows.isEmpty() ? 0 : rows.get(0).unknown().getTrials();
    h.append(String.format("<h2>Accuracy on the same %d UNKNOWN queries of %s, one greedy answer each (95%% Wilson intervals)</h2>",
        unknownQueries, esc(run.dataset())));
    h.append(accuracyChart(rows));
    h.append("<table><tr><th>round</th><th>arm</th><th>version</th><th>UNKNOWN accuracy</th><th>95% CI</th><th>correct</th>")
        .append("<th>held-out KNOWN</th><th>accepted</th></tr>");
    for (Demo.Row r : rows) {
      var e = r.unknown();
      h.append(String.format("<tr><td>%d</td><td class=t>%s</td><td class=t>%s</td><td>%.3f</td><td>[%.3f, %.3f]</td><td>%d/%d</td><td>%.3f</td><td>%s</td></tr>",
          r.round(), swatch(r.arm()), esc(r.version()), e.getRate(), e.getCiLow(), e.getCiHigh(), e.getSuccesses(), e.getTrials(),
          r.heldOutKnown(), r.accepted() ? "yes" : ""));
    }
    h.append("</table>");
    for (Demo.TestTime t : testTime) {
      var p = t.planVsUnsteered();
      h.append("<h2>Test-time steering (no training): UNKNOWN pass@1 over ").append(t.samplesPerQuery())
          .append(" samples per query, the same random streams with and without the plan</h2>")
          .append(String.format("<table><tr><th>round</th><th>version</th><th>plan</th><th>strength</th><th>queries</th>"
              + "<th>plan</th><th>unsteered</th><th>difference (points)</th><th>SE</th><th>signed-rank p</th></tr>"
              + "<tr><td>%d</td><td class=t>%s</td><td class=t>%s</td><td>%.2f</td><td>%d</td><td>%.3f</td><td>%.3f</td>"
              + "<td>%+.1f</td><td>%.1f</td><td>%.3g</td></tr></table>", t.round(), esc(t.version()), esc(t.planVersion()),
              t.strength(), p.queries(), p.first(), p.second(), 100 * p.difference(), 100 * p.se(), p.p()));
    }
    if (!fixRates.isEmpty()) {
      h.append("<h2>Fix rates of the corrections per arm: incorrect KNOWN samples fixed at any strength, of n corrected "
          + "(95% Wilson intervals); each control against the plan on the same samples and random streams</h2>")
          .append(fixChart(fixRates));
      h.append("<table><tr><th>round</th><th>arm</th><th>fixed</th><th>samples</th><th>rate</th><th>95% CI</th>"
          + "<th>vs plan: wins:losses, McNemar p</th></tr>");
      for (Demo.FixRate f : fixRates) {
        Wilson w = Wilson.of(f.fixed(), f.samples());
        h.append(String.format("<tr><td>%d</td><td class=t>%s</td><td>%d</td><td>%d</td><td>%.3f</td><td>[%.3f, %.3f]</td>"
            + "<td>%s</td></tr>", f.round(), swatch(f.arm()), f.fixed(), f.samples(), w.rate(), w.low(), w.high(), f.versusPlan()));
      }
      h.append("</table>");
    }
    h.append("<h2>Top features of ").append(esc(run.dataset())).append(" (paired within-query effect)</h2>")
        .append(featureTable(statsUrl, run.dataset()));
    h.append("<h2>Log</h2><pre>");
    log.forEach(l -> h.append(esc(l)).append('\n'));
    h.append("</pre></body></html>\n");
    Files.writeString(file, h.toString());
  }

  private static String accuracyChart(List<Demo.Row> rows) {
    int w = 640;
    int ht = 260;
    int maxRound = rows.stream().mapToInt(Demo.Row::round).max().orElse(0);
    Map<String, List<Demo.Row>> byArm = new LinkedHashMap<>();
    Demo.Row base = rows.isEmpty() ? null : rows.get(0);
    for (Demo.Row r : rows) {
      if (r.round() > 0) {
        byArm.computeIfAbsent(r.arm(), k -> new ArrayList<>()).add(r);
      }
    }
    double lo = rows.stream().mapToDouble(r -> r.unknown().getCiLow()).min().orElse(0);
    double hi = rows.stream().mapToDouble(r -> r.unknown().getCiHigh()).max().orElse(1);
    lo = Math.max(0, Math.floor(lo * 10) / 10);
    hi = Math.min(1, Math.ceil(hi * 10) / 10);
    StringBuilder s = new StringBuilder(String.format("<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"accuracy per round\">", w + 160, ht + 40));
    for (int i = 0; i <= 5; i++) {
      double v = lo + (hi - lo) * i / 5;
      double y = y(v, lo, hi, ht);
      s.append(String.format("<line x1=\"50\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"45\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%.2f</text>",
          w, y, y, y + 4, v));
    }
    for (int r = 0; r <= maxRound; r++) {
      s.append(String.format("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">round %d</text>", x(r, maxRound, w), ht + 20, r));
    }
    int c = 0;
    for (var e : byArm.entrySet()) {
      String colour = colour(e.getKey());
      StringBuilder path = new StringBuilder();
      List<Demo.Row> series = new ArrayList<>();
      if (base != null) {
        series.add(base);
      }
      series.addAll(e.getValue());
      for (Demo.Row r : series) {
        double px = x(r.round(), maxRound, w) + (c - 2) * 4;
        double py = y(r.unknown().getRate(), lo, hi, ht);
        path.append(path.isEmpty() ? "M" : "L").append(String.format("%.1f %.1f ", px, py));
        s.append(String.format("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
            px, px, y(r.unknown().getCiLow(), lo, hi, ht), y(r.unknown().getCiHigh(), lo, hi, ht), colour, px, py, colour));
      }
      s.append(String.format("<path d=\"%s\" fill=\"none\" stroke=\"%s\"/>", path, colour));
      s.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>", w + 10, 20 + 18 * c, colour, esc(e.getKey())));
      c++;
    }
    return s.append("</svg>").toString();
  }

  private static double x(int round, int maxRound, int w) {
    return 80 + (w - 120) * (maxRound == 0 ? 0.5 : (double) round / maxRound);
  }

  private static double y(double v, double lo, double hi, int ht) {
    return 10 + (ht - 10) * (1 - (v - lo) / Math.max(1e-9, hi - lo));
  }

  private static String fixChart(List<Demo.FixRate> rates) {
    int bar = 26;
    int left = 250; // room for "round 2 random_direction (n=100)"
    StringBuilder s = new StringBuilder(String.format("<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"fix rates\">",
        left + 460, rates.size() * bar + 10));
    int i = 0;
    for (Demo.FixRate f : rates) {
      Wilson w = Wilson.of(f.fixed(), f.samples());
      double y = 5 + i * bar;
      s.append(String.format("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\">round %d %s (n=%d)</text>", left - 10,
              y + 15, f.round(), esc(f.arm()), f.samples()))
          .append(String.format("<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>", left, y, 400 * w.rate(),
              colour(f.arm())))
          .append(String.format("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>", left + 400 * w.low(),
              left + 400 * w.high(), y + 9, y + 9))
          .append(String.format("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%.2f</text>", left + 5 + 400 * w.high(), y + 14, w.rate()));
      i++;
    }
    return s.append("</svg>").toString();
  }

  /**
   * The dataset's top five features from the Streams app at {@code statsUrl} (ending in '/'), as an HTML table:
   * scores, whether in the plan, the examiner's label with its detection accuracy and who wrote it (when
   * {@code saerl examine label} has run), and each feature's three strongest distinct steps.
   */
  public static String featureTable(String statsUrl, String dataset) {
    try {
      HttpClient http = HttpClient.newHttpClient();
      ObjectMapper json = new ObjectMapper();
      String api = statsUrl + "api/datasets/" + java.net.URLEncoder.encode(dataset, java.nio.charset.StandardCharsets.UTF_8);
      JsonNode counts = json.readTree(http.send(HttpRequest.newBuilder(URI.create(api)).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      JsonNode top = json.readTree(http.send(HttpRequest.newBuilder(URI.create(api + "/features?limit=5")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      StringBuilder s = new StringBuilder(String.format("<p>From %d correct and %d incorrect KNOWN samples (%d queries with both) "
          + "of %s; each feature's three strongest distinct steps.</p>", counts.path("samples_correct").asLong(),
          counts.path("samples_incorrect").asLong(), counts.path("paired_queries").asLong(),
          esc(counts.path("model_version").asText("?"))))
          .append("<table><tr><th>feature</th><th>score</th><th>paired Δ ± SE</th><th>log-odds</th>")
          .append("<th>in plan</th><th class=t>examiner's label (detection accuracy)</th><th class=t>top activating steps</th></tr>");
      for (JsonNode f : top) {
        JsonNode detail = json.readTree(http.send(HttpRequest.newBuilder(URI.create(api + "/features/"
            + f.get("feature_id").asInt())).build(), HttpResponse.BodyHandlers.ofString()).body());
        StringBuilder ex = new StringBuilder();
        for (JsonNode e : distinctSteps(detail.path("examples"), 3)) {
          ex.append(String.format("%.2f %s %s<br>", e.get("activation").asDouble(), e.get("correct").asBoolean() ? "✓" : "✗",
              esc(e.get("text").asText())));
        }
        s.append(String.format("<tr><td>%d</td><td>%.3f</td><td>%.3f ± %.3f</td><td>%.2f</td><td>%s</td><td class=t>%s</td><td class=t>%s</td></tr>",
            f.get("feature_id").asInt(), f.path("score").asDouble(), f.path("paired_mean_diff").asDouble(),
            f.path("paired_se").asDouble(), f.path("log_odds").asDouble(), f.get("in_plan").asBoolean() ? "yes" : "", label(f), ex));
      }
      return s.append("</table>").toString();
    } catch (IOException | RuntimeException e) {
      return "<p>statistics not available: " + esc(e.toString()) + "</p>";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "<p>interrupted</p>";
    }
  }

  /** "label" (accuracy of trials, by model), or empty when no examiner has labelled the feature. */
  static String label(JsonNode feature) {
    if (!feature.hasNonNull("label")) {
      return "";
    }
    return String.format(java.util.Locale.ROOT, "&ldquo;%s&rdquo; (%.0f%% of %d; %s)", esc(feature.get("label").asText()),
        100 * feature.path("label_accuracy").asDouble(), feature.path("label_trials").asInt(),
        esc(feature.path("label_model").asText("?")));
  }

  /** The first {@code n} examples with distinct text: the same step of several samples is one example. */
  static List<JsonNode> distinctSteps(JsonNode examples, int n) {
    List<JsonNode> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (JsonNode e : examples) {
      if (out.size() == n) {
        break;
      }
      if (seen.add(e.path("text").asText().strip())) {
        out.add(e);
      }
    }
    return out;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
