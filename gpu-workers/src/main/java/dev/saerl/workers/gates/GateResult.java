package dev.saerl.workers.gates;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One gate's verdict (EXPERIMENT.md, "Gates"): its headline figure, the threshold it is held to,
 * whether it passed, and the figures behind it. A gate that was not run has {@code pass} null.
 */
public record GateResult(String id, String name, Double value, String threshold, Boolean pass, Map<String, Object> details) {
  public GateResult {
    value = value == null || value.isNaN() ? null : value;
    details = details == null ? Map.of() : finite(details);
  }

  /** NaN (a rate over no samples) becomes null, so the JSON stays standard. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> finite(Map<String, Object> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v instanceof Double d && d.isNaN() ? null
        : v instanceof Map<?, ?> inner ? finite((Map<String, Object>) inner) : v));
    return out;
  }

  public static GateResult notRun(String id, String name, String why) {
    return new GateResult(id, name, null, null, null, Map.of("not_run", why));
  }

  /** A result that is measured and reported beside the gates but holds nothing to a threshold. */
  public static GateResult reported(String id, String name, Double value, Map<String, Object> details) {
    return new GateResult(id, name, value, "reported, not gated", null, details);
  }

  /** The console line: id, figure, threshold, PASS/FAIL. */
  public String line() {
    if (pass == null && details.containsKey("not_run")) {
      return String.format("%-3s %-34s not run (%s)", id, name, details.get("not_run"));
    }
    if (pass == null) {
      return String.format("%-3s %-34s %8s  %s", id, name, value == null ? "none" : String.format("%+.2f", value), threshold);
    }
    return String.format("%-3s %-34s %8.3f  needs %-48s %s", id, name, value == null ? Double.NaN : value, threshold,
        pass ? "PASS" : "FAIL");
  }
}
