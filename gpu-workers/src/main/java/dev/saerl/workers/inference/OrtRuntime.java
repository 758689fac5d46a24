package dev.saerl.workers.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that chooses the execution provider and creates sessions: CUDA when the GPU
 * artifact and a GPU are present (or {@code SAERL_DEVICE=cuda}), CPU otherwise, saying which and
 * why. One {@link OrtEnvironment} per JVM; sessions are long-lived and owned by their callers.
 */
public final class OrtRuntime {
  private static final Logger log = LoggerFactory.getLogger(OrtRuntime.class);
  private static volatile String chosen;

  private OrtRuntime() {}

  public static OrtEnvironment env() {
    return OrtEnvironment.getEnvironment();
  }

  /** Opens a session; {@code threads} is intra-op threads on CPU (1 is fastest for small models). */
  public static OrtSession open(Path model, int threads) {
    try {
      OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setIntraOpNumThreads(threads);
      opts.setInterOpNumThreads(1);
      String profile = System.getenv("SAERL_ORT_PROFILE");
      if (profile != null && !profile.isBlank()) {
        opts.enableProfiling(profile); // ONNX Runtime writes PREFIX_<date>.json (per-node timings) when the session closes
      }
      String device = System.getenv().getOrDefault("SAERL_DEVICE", "auto");
      if (!device.equals("cpu")) {
        try {
          opts.addCUDA(0);
          announce("CUDA (device 0)");
        } catch (OrtException | UnsatisfiedLinkError | RuntimeException e) {
          if (device.equals("cuda")) {
            throw new IllegalStateException("SAERL_DEVICE=cuda but the CUDA execution provider cannot load: " + e.getMessage(), e);
          }
          announce("CPU (CUDA provider unavailable: " + firstLine(e.getMessage()) + ")");
        }
      } else {
        announce("CPU (SAERL_DEVICE=cpu)");
      }
      return env().createSession(model.toString(), opts);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot open " + model + ": " + e.getMessage(), e);
    }
  }

  /** The execution provider the last session was opened with, or null before any. */
  public static String provider() {
    return chosen;
  }

  private static void announce(String what) {
    if (!what.equals(chosen)) {
      chosen = what;
      log.info("ONNX Runtime execution provider: {}", what);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "unknown" : s.lines().findFirst().orElse(s);
  }
}
