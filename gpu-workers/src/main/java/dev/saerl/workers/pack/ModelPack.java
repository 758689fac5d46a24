package dev.saerl.workers.pack;

import dev.saerl.core.ids.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model pack directory (docs/model-pack.md), checked at load: the manifest's fields, the
 * presence and SHA-256 of every listed file. The ONNX graph's names and shapes are checked when a
 * session is opened on it ({@code OnnxDecoder}). A bad pack is refused naming the file and field.
 */
public record ModelPack(
    Path dir, String name, String version, String parentVersion, Architecture architecture, int hookLayer,
    String promptTemplate, List<String> stopStrings, int bosTokenId, int padTokenId, boolean addBos,
    List<String> graphInputs, List<String> graphOutputs, SaeSpec sae, Map<String, String> files, Adapter adapter,
    List<Integer> eosTokenIds, String weightsDtype, Organism organism) {

  /**
   * The optional {@code organism} object of a mode organism's pack (EXPERIMENT.md's positive control):
   * the openings of its careful and sloppy chains. Absent on other packs, and on the plain-layout
   * organisms, whose careful chains open with {@code Careful:} and sloppy ones with their first digit.
   */
  public record Organism(String carefulMarker, String sloppyMarker) {}

  public static final String MANIFEST = "manifest.json";
  public static final String MODEL_FILE = "model.onnx";
  /** The pack format this runtime reads: 3 = the graph's hook_resid is the residual before steer is added. */
  public static final int FORMAT = 3;
  public static final String TOKENIZER_FILE = "tokenizer.json";

  public static ModelPack load(Path dir) {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      throw new ModelPackException("not a model pack: " + manifestFile + " does not exist");
    }
    JsonNode m;
    try {
      m = new ObjectMapper().readTree(manifestFile.toFile());
    } catch (IOException e) {
      throw new ModelPackException(manifestFile + ": not valid JSON: " + e.getMessage(), e);
    }
    Fields f = new Fields(manifestFile, m);
    int format = m.path("format").asInt(0);
    if (format < FORMAT) {
      throw new ModelPackException(manifestFile + ": field format is " + format + "; this runtime needs format " + FORMAT
          + " (hook_resid read before steer is added, so recorded features are the model's own state): re-export with "
          + "`cd tools/foundry && /usr/bin/python3 -m foundry.export --pack " + dir + " --out NEW`");
    }
    JsonNode arch = f.object("architecture");
    Architecture architecture = new Architecture(f.integer(arch, "architecture.vocab_size"),
        f.integer(arch, "architecture.d_model"), f.integer(arch, "architecture.n_layer"),
        f.integer(arch, "architecture.n_head"), f.integer(arch, "architecture.n_kv_head"),
        f.integer(arch, "architecture.head_dim"), arch.path("max_seq_len").asInt(4096));
    int hookLayer = f.integer(m, "hook_layer");
    if (hookLayer < 0 || hookLayer > architecture.nLayer()) { // n_layer: the output of the last block
      throw new ModelPackException(manifestFile + ": field hook_layer is " + hookLayer + ", outside 0.." + architecture.nLayer());
    }
    String template = f.text(m, "prompt_template");
    if (!template.contains("{question}")) {
      throw new ModelPackException(manifestFile + ": field prompt_template has no {question} placeholder");
    }
    JsonNode sae = f.object("sae");
    String kind = f.text(sae, "sae.kind");
    if (!SaeSpec.KINDS.contains(kind)) {
      throw new ModelPackException(manifestFile + ": field sae.kind is " + kind + ", not one of " + SaeSpec.KINDS);
    }
    // saerl's own TopK SAEs predate the field and subtract b_dec; public ReLU/JumpReLU SAEs mostly do not
    boolean minusBDec = sae.path("input_minus_b_dec").asBoolean(kind.equals("topk"));
    SaeSpec saeSpec = new SaeSpec(kind, f.integer(sae, "sae.d_in"), f.integer(sae, "sae.features"),
        kind.equals("topk") ? f.integer(sae, "sae.k") : 0, minusBDec, f.text(sae, "sae.encode"), sae.path("decode").asText(null),
        f.text(sae, "sae.weights"), f.text(sae, "sae.id"));
    if (saeSpec.dIn() != architecture.dModel()) {
      throw new ModelPackException(manifestFile + ": field sae.d_in is " + saeSpec.dIn() + " but architecture.d_model is " + architecture.dModel());
    }
    Map<String, String> files = new LinkedHashMap<>();
    f.object("files").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue().asText()));
    for (String required : List.of(MODEL_FILE, TOKENIZER_FILE, saeSpec.encodeFile(), saeSpec.weightsFile())) {
      if (!files.containsKey(required)) {
        throw new ModelPackException(manifestFile + ": field files lists no checksum for " + required);
      }
    }
    verifyChecksums(dir, files);
    JsonNode parent = m.path("parent_version");
    return new ModelPack(dir, f.text(m, "name"), f.text(m, "version"), parent.isTextual() ? parent.asText() : null,
        architecture, hookLayer, template, f.strings(m, "stop_strings"), f.integer(m, "bos_token_id"),
        f.integer(m, "pad_token_id"), m.path("add_bos").asBoolean(true),
        f.strings(f.object("graph"), "graph.inputs"), f.strings(f.object("graph"), "graph.outputs"), saeSpec, Map.copyOf(files),
        adapter(manifestFile, m.path("adapter"), architecture.dModel()), eosTokenIds(manifestFile, m.path("eos_token_ids")),
        f.object("graph").path("weights_dtype").asText("fp32"), organism(manifestFile, m.path("organism")));
  }

  private static Organism organism(Path manifestFile, JsonNode o) {
    if (o.isMissingNode() || o.isNull()) {
      return null;
    }
    if (!o.path("careful_marker").isTextual() || !o.path("sloppy_marker").isTextual()
        || o.path("careful_marker").asText().isEmpty() || o.path("sloppy_marker").asText().isEmpty()) {
      throw new ModelPackException(manifestFile + ": field organism needs non-empty careful_marker and sloppy_marker strings");
    }
    return new Organism(o.path("careful_marker").asText(), o.path("sloppy_marker").asText());
  }

  /** The optional {@code eos_token_ids}: tokens that end a sequence (generation stops without keeping them). */
  private static List<Integer> eosTokenIds(Path manifestFile, JsonNode n) {
    if (n.isMissingNode() || n.isNull()) {
      return List.of();
    }
    List<Integer> ids = new ArrayList<>();
    n.forEach(i -> ids.add(i.isInt() ? i.asInt() : -1));
    if (!n.isArray() || ids.contains(-1)) {
      throw new ModelPackException(manifestFile + ": field eos_token_ids must be an array of token ids");
    }
    return List.copyOf(ids);
  }

  /** The optional {@code adapter} object: method, feature_ids, coefficients, vector[d_model]. */
  private static Adapter adapter(Path manifestFile, JsonNode a, int dModel) {
    if (a.isMissingNode() || a.isNull()) {
      return null;
    }
    JsonNode v = a.path("vector");
    if (!v.isArray() || v.size() != dModel) {
      throw new ModelPackException(manifestFile + ": field adapter.vector must be an array of " + dModel + " numbers");
    }
    float[] vector = new float[dModel];
    for (int i = 0; i < dModel; i++) {
      vector[i] = (float) v.get(i).asDouble();
    }
    List<Integer> ids = new ArrayList<>();
    a.path("feature_ids").forEach(n -> ids.add(n.asInt()));
    List<Float> coefficients = new ArrayList<>();
    a.path("coefficients").forEach(n -> coefficients.add((float) n.asDouble()));
    try {
      return new Adapter(a.path("method").asText("adapter"), ids, coefficients, vector);
    } catch (IllegalArgumentException e) {
      throw new ModelPackException(manifestFile + ": field " + e.getMessage());
    }
  }

  /**
   * Writes a child pack to {@code out}: this pack's files (copied), a manifest with the new
   * version, this version as its parent, and the adapter (replacing any this pack had: adapters do
   * not stack, the new vector is the whole steering).
   */
  public ModelPack withAdapter(Path out, String newVersion, Adapter adapter) {
    try {
      ObjectMapper json = new ObjectMapper();
      com.fasterxml.jackson.databind.node.ObjectNode m = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve(MANIFEST).toFile());
      m.put("version", newVersion);
      m.put("parent_version", version);
      var a = m.putObject("adapter");
      a.put("method", adapter.method());
      var ids = a.putArray("feature_ids");
      adapter.featureIds().forEach(ids::add);
      var cs = a.putArray("coefficients");
      adapter.coefficients().forEach(cs::add);
      var v = a.putArray("vector");
      for (float x : adapter.vector()) {
        v.add(x);
      }
      Files.createDirectories(out);
      for (String name : files.keySet()) {
        Files.copy(dir.resolve(name), out.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      json.writerWithDefaultPrettyPrinter().writeValue(out.resolve(MANIFEST).toFile(), m);
    } catch (IOException e) {
      throw new ModelPackException("cannot write adapter pack " + out + ": " + e.getMessage(), e);
    }
    return load(out);
  }

  private static void verifyChecksums(Path dir, Map<String, String> files) {
    for (var e : files.entrySet()) {
      Path file = dir.resolve(e.getKey());
      if (!Files.isRegularFile(file)) {
        throw new ModelPackException("model pack " + dir + ": file " + e.getKey() + " listed in manifest.json files is missing");
      }
      String actual;
      try {
        actual = Sha256.of(file);
      } catch (IOException ex) {
        throw new ModelPackException("cannot read " + file + ": " + ex.getMessage(), ex);
      }
      if (!actual.equalsIgnoreCase(e.getValue())) {
        throw new ModelPackException("model pack " + dir + ": file " + e.getKey() + " has SHA-256 " + actual
            + " but manifest.json files." + e.getKey() + " says " + e.getValue() + " (corrupted or mismatched pack)");
      }
    }
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  public String prompt(String question) {
    return promptTemplate.replace("{question}", question);
  }

  /** Reads manifest fields, naming the missing or mistyped one. */
  private record Fields(Path file, JsonNode root) {
    JsonNode object(String field) {
      JsonNode n = root.path(field);
      if (!n.isObject()) {
        throw missing(field, "an object");
      }
      return n;
    }

    int integer(JsonNode node, String field) {
      JsonNode n = node.path(leaf(field));
      if (!n.isInt()) {
        throw missing(field, "an integer");
      }
      return n.asInt();
    }

    String text(JsonNode node, String field) {
      JsonNode n = node.path(leaf(field));
      if (!n.isTextual() || n.asText().isEmpty()) {
        throw missing(field, "a non-empty string");
      }
      return n.asText();
    }

    List<String> strings(JsonNode node, String field) {
      JsonNode n = node.path(leaf(field));
      if (!n.isArray()) {
        throw missing(field, "an array of strings");
      }
      List<String> out = new ArrayList<>();
      n.forEach(s -> out.add(s.asText()));
      return List.copyOf(out);
    }

    private static String leaf(String field) {
      return field.substring(field.lastIndexOf('.') + 1);
    }

    private ModelPackException missing(String field, String what) {
      return new ModelPackException(file + ": field " + field + " is missing or not " + what);
    }
  }
}
