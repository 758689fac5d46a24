package dev.saerl.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * Reads the JSON body of {@code /v1/completions} and {@code /v1/chat/completions} into a
 * {@link CompletionRequest}, refusing a bad one with a {@link BadRequest} that names the field.
 * OpenAI fields saerl does not use are ignored; unknown fields inside {@code saerl} are refused,
 * since a misspelt edit would otherwise pass silently as an unsteered reply.
 */
public final class RequestParser {
  public static final int DEFAULT_MAX_TOKENS = 128;
  public static final int MAX_STOPS = 4;
  private static final Set<String> SAERL_FIELDS = Set.of("edits", "plan", "return_features");
  private static final Set<String> PLAN_FIELDS = Set.of("version", "dataset", "variant", "strength");

  /** Finds a steering plan by version, or a dataset's current plan of a variant; null when there is none. */
  public interface Plans {
    dev.saerl.schemas.avro.SteeringPlan find(String version, String dataset, String variant);
  }

  private volatile Plans plans;
  private static final Set<String> EDIT_FIELDS = Set.of("feature", "value", "mode", "when");
  private static final Set<String> WHEN_FIELDS = Set.of("feature", "above");

  private final ObjectMapper json = new ObjectMapper();
  private final java.util.function.Supplier<Set<String>> models;
  private final int features;
  private final UnaryOperator<String> chatTemplate;

  /**
   * @param models the names a request's {@code model} may give (read at each request: versions come and go)
   * @param features the SAE's feature count: edits name ids below it
   * @param chatTemplate the pack's prompt template, applied to the last user message of a chat
   */
  public RequestParser(java.util.function.Supplier<Set<String>> models, int features, UnaryOperator<String> chatTemplate) {
    this.models = models;
    this.features = features;
    this.chatTemplate = chatTemplate;
  }

  /** Where {@code saerl.plan} is looked up; without it, a request naming a plan is refused. */
  public RequestParser withPlans(Plans plans) {
    this.plans = plans;
    return this;
  }

  public CompletionRequest completion(byte[] body) {
    JsonNode root = object(body);
    return read(root, false, prompt(root));
  }

  public CompletionRequest chat(byte[] body) {
    JsonNode root = object(body);
    return read(root, true, chatTemplate.apply(lastUserMessage(root)));
  }

  private JsonNode object(byte[] body) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest(400, null, "the body is not valid JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new BadRequest(400, null, "the body could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadRequest(400, null, "the body must be a JSON object");
    }
    return root;
  }

  private CompletionRequest read(JsonNode root, boolean chat, String prompt) {
    JsonNode model = root.get("model");
    if (model != null && !model.isNull()) {
      if (!model.isTextual()) {
        throw BadRequest.field("model", "must be a string");
      }
      Set<String> served = models.get();
      if (!served.contains(model.asText())) {
        throw new BadRequest(404, "model", "model: '" + model.asText() + "' is not served here; GET /v1/models lists "
            + new java.util.TreeSet<>(served));
      }
    }
    JsonNode n = root.get("n");
    if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
      throw BadRequest.field("n", "only n = 1 is served (send one request per choice, each with its own seed)");
    }
    String maxField = chat && root.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    int maxTokens = integer(root, maxField, DEFAULT_MAX_TOKENS, 1, Integer.MAX_VALUE);
    float temperature = (float) number(root, "temperature", 1.0, 0, 2);
    float topP = (float) number(root, "top_p", 1.0, Double.MIN_VALUE, 1);
    long seed = root.hasNonNull("seed") ? longInteger(root, "seed") : ThreadLocalRandom.current().nextLong();
    boolean stream = bool(root, "stream", false);
    return new CompletionRequest(prompt, chat, maxTokens, temperature, topP, seed, stops(root), stream, variant(root),
        model == null || model.isNull() ? null : model.asText());
  }

  private static String prompt(JsonNode root) {
    JsonNode p = root.get("prompt");
    if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
      return p.get(0).asText();
    }
    if (p == null || p.isNull()) {
      throw BadRequest.field("prompt", "is required");
    }
    if (!p.isTextual()) {
      throw BadRequest.field("prompt", "must be a string (or an array of one string)");
    }
    return p.asText();
  }

  /** The bundled packs have no chat template: the model sees only the last user turn, in the prompt template. */
  private static String lastUserMessage(JsonNode root) {
    JsonNode messages = root.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw BadRequest.field("messages", "is required: a non-empty array of {role, content}");
    }
    String last = null;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String at = "messages[" + i + "]";
      if (!m.isObject()) {
        throw BadRequest.field(at, "must be an object {role, content}");
      }
      if (!m.path("role").isTextual()) {
        throw BadRequest.field(at + ".role", "must be a string");
      }
      if (!m.path("content").isTextual()) {
        throw BadRequest.field(at + ".content", "must be a string");
      }
      if (m.get("role").asText().equals("user")) {
        last = m.get("content").asText();
      }
    }
    if (last == null) {
      throw BadRequest.field("messages", "has no message with role 'user'");
    }
    return last;
  }

  private static List<String> stops(JsonNode root) {
    JsonNode s = root.get("stop");
    if (s == null || s.isNull()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (s.isTextual()) {
      out.add(s.asText());
    } else if (s.isArray()) {
      for (int i = 0; i < s.size(); i++) {
        if (!s.get(i).isTextual()) {
          throw BadRequest.field("stop[" + i + "]", "must be a string");
        }
        out.add(s.get(i).asText());
      }
    } else {
      throw BadRequest.field("stop", "must be a string or an array of strings");
    }
    if (out.size() > MAX_STOPS) {
      throw BadRequest.field("stop", "at most " + MAX_STOPS + " strings, got " + out.size());
    }
    if (out.contains("")) {
      throw BadRequest.field("stop", "an empty stop string would end every reply at once");
    }
    return out;
  }

  private Variant variant(JsonNode root) {
    JsonNode s = root.get("saerl");
    if (s == null || s.isNull()) {
      return Variant.NONE;
    }
    if (!s.isObject()) {
      throw BadRequest.field("saerl", "must be an object {edits, plan, return_features}");
    }
    unknownFields(s, "saerl", SAERL_FIELDS);
    List<FeatureEdit> edits = new ArrayList<>();
    JsonNode e = s.get("edits");
    if (e != null && !e.isNull()) {
      if (!e.isArray()) {
        throw BadRequest.field("saerl.edits", "must be an array of {feature, value, mode}");
      }
      for (int i = 0; i < e.size(); i++) {
        edits.add(edit(e.get(i), "saerl.edits[" + i + "]"));
      }
    }
    dev.saerl.schemas.avro.SteeringPlan plan = null;
    float strength = 0f;
    JsonNode p = s.get("plan");
    if (p != null && !p.isNull()) {
      if (!p.isObject()) {
        throw BadRequest.field("saerl.plan", "must be an object {version} or {dataset, variant}, with an optional strength");
      }
      unknownFields(p, "saerl.plan", PLAN_FIELDS);
      String version = text(p, "version");
      String dataset = text(p, "dataset");
      if ((version == null) == (dataset == null)) {
        throw BadRequest.field("saerl.plan", "give exactly one of version (a plan version) and dataset (its current plan)");
      }
      String variant = text(p, "variant");
      strength = p.has("strength") ? number(p, "strength", "saerl.plan") : 1f;
      if (plans == null) {
        throw BadRequest.field("saerl.plan", "this server reads no steering plans: start it with --plans");
      }
      plan = plans.find(version, dataset, variant == null ? "default" : variant);
      if (plan == null) {
        throw version != null ? BadRequest.field("saerl.plan.version", "no plan " + version + " on steering-plans")
            : BadRequest.field("saerl.plan.dataset", "dataset " + dataset + " has no " + (variant == null ? "" : variant + " ")
                + "plan on steering-plans");
      }
    }
    return new Variant(edits, plan, strength, bool(s, "return_features", false, "saerl."));
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw BadRequest.field("saerl.plan." + field, "must be a non-empty string");
    }
    return v.asText();
  }

  private FeatureEdit edit(JsonNode e, String at) {
    if (!e.isObject()) {
      throw BadRequest.field(at, "must be an object {feature, value, mode, when}");
    }
    unknownFields(e, at, EDIT_FIELDS);
    int f = featureId(e, at);
    float v = number(e, "value", at);
    JsonNode m = e.get("mode");
    FeatureEdit.Mode mode = FeatureEdit.Mode.NUDGE;
    if (m != null && !m.isNull()) {
      if (!m.isTextual() || !(m.asText().equals("nudge") || m.asText().equals("pin"))) {
        throw BadRequest.field(at + ".mode", "must be \"nudge\" or \"pin\"");
      }
      mode = m.asText().equals("pin") ? FeatureEdit.Mode.PIN : FeatureEdit.Mode.NUDGE;
    }
    FeatureEdit.Condition when = null;
    JsonNode w = e.get("when");
    if (w != null && !w.isNull()) {
      if (!w.isObject()) {
        throw BadRequest.field(at + ".when", "must be an object {feature, above}");
      }
      unknownFields(w, at + ".when", WHEN_FIELDS);
      when = new FeatureEdit.Condition(featureId(w, at + ".when"), number(w, "above", at + ".when"));
    }
    return new FeatureEdit(f, v, mode, when);
  }

  private int featureId(JsonNode node, String at) {
    JsonNode f = node.get("feature");
    if (f == null || !f.isIntegralNumber()) {
      throw BadRequest.field(at + ".feature", "must be an integer feature id");
    }
    if (f.asLong() < 0 || f.asLong() >= features) {
      throw BadRequest.field(at + ".feature", "no feature " + f.asText() + ": this pack's SAE has features 0.." + (features - 1));
    }
    return f.asInt();
  }

  private static float number(JsonNode node, String field, String at) {
    JsonNode v = node.get(field);
    if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw BadRequest.field(at + "." + field, "must be a number");
    }
    return (float) v.asDouble();
  }

  private static void unknownFields(JsonNode node, String at, Set<String> known) {
    node.fieldNames().forEachRemaining(name -> {
      if (!known.contains(name)) {
        throw BadRequest.field(at + "." + name, "unknown field (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
    });
  }

  private static int integer(JsonNode root, String field, int fallback, int min, int max) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw BadRequest.field(field, "must be an integer");
    }
    if (v.asInt() < min || v.asInt() > max) {
      throw BadRequest.field(field, "must be at least " + min + ", got " + v.asInt());
    }
    return v.asInt();
  }

  private static long longInteger(JsonNode root, String field) {
    JsonNode v = root.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw BadRequest.field(field, "must be an integer");
    }
    return v.asLong();
  }

  private static double number(JsonNode root, String field, double fallback, double min, double max) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isNumber()) {
      throw BadRequest.field(field, "must be a number");
    }
    double d = v.asDouble();
    if (!(d >= min && d <= max)) {
      throw BadRequest.field(field, "must be in [" + (min == Double.MIN_VALUE ? "0 (exclusive)" : min) + ", " + max + "], got " + d);
    }
    return d;
  }

  private static boolean bool(JsonNode root, String field, boolean fallback) {
    return bool(root, field, fallback, "");
  }

  private static boolean bool(JsonNode root, String field, boolean fallback, String prefix) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw BadRequest.field(prefix + field, "must be true or false");
    }
    return v.asBoolean();
  }
}
