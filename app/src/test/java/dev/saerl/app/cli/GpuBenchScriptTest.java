package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/bench/gpu.sh --reduced (a tiny random Llama on the CPU provider: the GPU run's steps
 * without a GPU) with this test's class path, read back from its last line.
 */
@Tag("integration")
class GpuBenchScriptTest {
  @TempDir
  static Path dir;

  static int exit;
  static String out;
  static JsonNode json;

  @BeforeAll
  static void run() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", "..")).toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder("/bin/bash", root.resolve("tools/bench/gpu.sh").toString(), "--reduced")
        .directory(root.toFile()).redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
    pb.environment().put("SAERL_BENCH_CLASSPATH", classPathJar().toString());
    pb.environment().put("TMPDIR", dir.toString());
    pb.environment().put("JAVA_HOME", Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent().getParent().toString());
    Process p = pb.start();
    boolean finished = p.waitFor(180, TimeUnit.SECONDS);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
    out = Files.readString(dir.resolve("out"));
    String err = Files.readString(dir.resolve("err"));
    assertTrue(finished, "gpu.sh --reduced ran past 180 s:\n" + out + err);
    exit = p.exitValue();
    List<String> lines = out.lines().toList();
    assertTrue(!lines.isEmpty() && lines.getLast().startsWith("{"), "no JSON last line:\n" + out + err);
    json = new ObjectMapper().readTree(lines.getLast());
  }

  /** A manifest-only jar naming this test's class path (a long -cp makes the native libraries crash the JVM). */
  static Path classPathJar() throws Exception {
    StringBuilder urls = new StringBuilder();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      urls.append(Path.of(entry).toAbsolutePath().toUri().toURL()).append(' ');
    }
    var manifest = new java.util.jar.Manifest();
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, urls.toString().trim());
    Path jar = dir.resolve("classpath.jar");
    try (var o = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
      // the manifest is the whole content
    }
    return jar;
  }

  @Test
  void parityHoldsOnTheCpuProviderAndIsAComparisonNotAnIdentity() {
    assertEquals(0, exit, out);
    assertEquals("CPU", json.path("provider").asText());
    assertTrue(json.path("reduced").asBoolean());
    assertTrue(json.path("parity_ok").asBoolean(), out);
    assertEquals(0, json.path("parity_mismatches").asInt());
    double diff = json.path("parity_max_abs_diff").asDouble(-1);
    // ONNX Runtime against PyTorch is never bit-exact on these logits: zero would mean nothing was compared
    assertTrue(diff > 0 && diff <= json.path("parity_tolerance").asDouble(), "parity difference " + diff);
  }

  @Test
  void tokensPerSecondAtEachBatchAndTheBoundFollowFromTheMeasuredBandwidthAndTheStepsBytes() {
    for (String b : List.of("1", "32", "64")) {
      assertTrue(json.path("tokens_per_s").path(b).asDouble() > 0, "tokens/s at batch " + b);
    }
    double bw = json.path("bandwidth_gb_s").asDouble();
    assertTrue(bw > 0.5 && bw < 10_000, "bandwidth " + bw + " GB/s");
    // the bytes a step reads, counted here from the shape: every weight in fp32, one embedding row
    int[] s = Arrays.stream(json.path("llama").asText().split(",")).mapToInt(Integer::parseInt).toArray();
    long h = s[0];
    long layers = s[1];
    long headDim = h / s[2];
    long kv = s[3] * headDim;
    long ffn = s[4];
    long vocab = s[5];
    long params = layers * (2 * h * h + 2 * h * kv + 3 * h * ffn + 2 * h) + h + vocab * h + h;
    assertEquals(params * 4, json.path("bytes_per_step").asLong());
    assertEquals(layers * 2 * kv * 4, json.path("kv_cache_bytes_per_token_row").asLong());
    double bound = bw * 1e9 / (params * 4);
    assertEquals(bound, json.path("bound_steps_per_s").asDouble(), bound * 1e-9);
    double fraction = 1000 / json.path("batch1_decode_step_ms").asDouble() / bound;
    assertEquals(fraction, json.path("bound_fraction_batch1").asDouble(), fraction * 1e-9);
    assertTrue(fraction > 0 && Double.isFinite(fraction));
  }

  @Test
  void theHostResidentKvCacheCaveatIsPrinted() {
    assertTrue(out.contains("the KV cache lives in host memory"), out);
    assertEquals("host", json.path("kv_cache").asText());
  }
}
