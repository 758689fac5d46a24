package dev.saerl.app.serve;

import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.workers.correct.SteeringVectors;
import dev.saerl.workers.inference.EditedGeneration;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.inference.TokenSink;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import dev.saerl.workers.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs a batch of jobs on the pack. Unedited and nudge-only rows go through the batched
 * {@link OnnxGenerator} together, whatever their temperature, seed, length, stop strings and
 * nudges (each row carries its own steering vector; the caller's stop strings end a row through a
 * {@link TokenSink}, and so does streaming). Rows that pin a feature or edit on a condition need
 * each position's own activations before the pass that uses them, so they run on {@link EditedGeneration}, which applies
 * one edit to a whole batch: those rows are batched with the rows that ask for the same edits,
 * they stream their text in one piece when it is done, and their caller's stop strings cut the
 * text after generation rather than ending it early.
 */
final class VariantRunner implements BatchScheduler.Runner {
  private final ModelPack pack;
  private final OnnxGenerator generator;
  private final EditedGeneration edited;
  private final Tokenizer tokenizer;
  private final JavaSparseAutoencoder sae;
  /** The SAE's decoder bias: decode(codes) minus this is the codes' sum of decoder rows. */
  private final float[] bDec;
  private final Map<Integer, float[]> decoderRows = new HashMap<>();

  VariantRunner(ModelPack pack, OnnxGenerator generator, JavaSparseAutoencoder sae) {
    this.pack = pack;
    this.generator = generator;
    this.edited = new EditedGeneration(generator);
    this.tokenizer = generator.tokenizer();
    this.sae = sae;
    this.bDec = sae.decode(new SparseCodes(new int[0], new float[0]));
  }

  @Override
  public void run(List<Job> jobs) {
    List<Job> plain = new ArrayList<>();
    Map<List<Object>, List<Job>> pinned = new LinkedHashMap<>();
    for (Job j : jobs) {
      Variant v = j.request.variant();
      if (fits(j)) {
        (v.readsOwnActivations() ? pinned.computeIfAbsent(Arrays.asList(v.edits(), v.plan(), v.planStrength()), k -> new ArrayList<>()) : plain).add(j);
      }
    }
    if (!plain.isEmpty()) {
      guarded(plain, () -> runPlain(plain));
    }
    pinned.forEach((key, group) -> guarded(group, () -> runPinned(group.get(0).request.variant(), group)));
  }

  /** A failure fails its own group only. */
  private static void guarded(List<Job> group, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      group.forEach(j -> j.failed(e));
    }
  }

  /** Refuses a prompt that leaves no room in the model's context. */
  private boolean fits(Job j) {
    int n = tokenizer.encode(j.request.prompt(), pack.addBos()).length;
    int room = pack.architecture().maxSeqLen() - n;
    if (room < 1) {
      j.failed(BadRequest.field("prompt", n + " tokens leave no room in the model's context of " + pack.architecture().maxSeqLen()));
      return false;
    }
    SteeringPlan plan = j.request.variant().plan();
    if (plan != null && (!plan.getSaeId().equals(pack.sae().id()) || plan.getHookLayer() != pack.hookLayer())) {
      j.failed(BadRequest.field("saerl.plan", "plan " + plan.getPlanVersion() + " steers SAE " + plan.getSaeId() + " at layer "
          + plan.getHookLayer() + "; " + pack.version() + " has SAE " + pack.sae().id() + " at layer " + pack.hookLayer()));
      return false;
    }
    return true;
  }

  private int maxTokens(CompletionRequest r) {
    int prompt = tokenizer.encode(r.prompt(), pack.addBos()).length;
    return Math.min(r.maxTokens(), pack.architecture().maxSeqLen() - prompt);
  }

  private List<String> stops(CompletionRequest r) {
    return Stream.concat(pack.stopStrings().stream(), r.stop().stream()).distinct().toList();
  }

  private void runPlain(List<Job> jobs) {
    List<GenerationRequest> requests = new ArrayList<>();
    StopText[] streams = new StopText[jobs.size()];
    List<List<Integer>> kept = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      CompletionRequest r = jobs.get(i).request;
      float[] nudge = nudge(r.variant());
      requests.add(new GenerationRequest(r.prompt(), maxTokens(r), r.temperature(), r.topP(), r.seed(),
          nudge == null ? Steering.NONE : Steering.everywhere(nudge)));
      streams[i] = r.stream() || !r.stop().isEmpty() ? new StopText(stops(r)) : null;
      kept.add(new ArrayList<>());
    }
    TokenSink sink = (row, token) -> {
      if (streams[row] == null) {
        return true;
      }
      kept.get(row).add(token);
      jobs.get(row).delta(streams[row].advance(tokenizer.decode(ints(kept.get(row)))));
      return !streams[row].stopped();
    };
    List<GenerationResult> results = generator.generate(requests, sink);
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      GenerationResult result = results.get(i);
      String text = result.text();
      int cut = StopText.cutAt(text, stops(job.request));
      String reply = text.substring(0, cut);
      boolean stopped = cut < text.length() || result.finishReason() == GenerationResult.FinishReason.STOP;
      int count = cut < text.length() ? tokenizer.encode(reply, false).length : result.tokens().length;
      int[] tokens = Arrays.copyOf(result.tokens(), Math.min(count, result.tokens().length));
      List<Completion.TokenFeatures> features = List.of();
      if (job.request.variant().returnFeatures()) {
        int n = Math.min(tokens.length, result.hookResiduals().length);
        features = features(Arrays.copyOf(tokens, n), Arrays.copyOf(result.hookResiduals(), n));
      }
      if (streams[i] != null) {
        job.delta(streams[i].rest(reply));
      }
      job.done(new Completion(reply, stopped ? "stop" : "length", result.promptTokens().length, tokens.length, features));
    }
  }

  private void runPinned(Variant variant, List<Job> jobs) {
    float[] plan = planVector(variant);
    List<GenerationRequest> requests = new ArrayList<>();
    for (Job j : jobs) {
      CompletionRequest r = j.request;
      requests.add(new GenerationRequest(r.prompt(), maxTokens(r), r.temperature(), r.topP(), r.seed(), Steering.NONE));
    }
    List<String> texts = edited.generate(requests, h -> edit(h, variant.edits(), plan), jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      String text = texts.get(i);
      int cut = StopText.cutAt(text, stops(job.request));
      String reply = text.substring(0, cut);
      int[] prompt = tokenizer.encode(job.request.prompt(), pack.addBos());
      int[] tokens = tokenizer.encode(reply, false);
      // EditedGeneration returns text only: a reply shorter than its limit ended at a stop string or EOS
      boolean stopped = cut < text.length() || tokens.length < requests.get(i).maxNewTokens();
      List<Completion.TokenFeatures> features = job.request.variant().returnFeatures()
          ? features(tokens, generator.hookResiduals(prompt, tokens, tokens.length)) : List.of();
      job.delta(reply);
      job.done(new Completion(reply, stopped ? "stop" : "length", prompt.length, tokens.length, features));
    }
  }

  /** The plan's vector at its strength, or null for none. */
  private float[] planVector(Variant variant) {
    return variant.plan() == null ? null : SteeringVectors.plan(variant.plan(), sae, variant.planStrength());
  }

  /** The plan's vector plus value x decoder row over the (unconditional) nudges, or null when there is neither. */
  private float[] nudge(Variant variant) {
    float[] v = planVector(variant);
    for (FeatureEdit e : variant.edits()) {
      if (e.mode() == FeatureEdit.Mode.NUDGE) {
        v = v == null ? new float[bDec.length] : v;
        add(v, decoderRow(e.feature()), e.value());
      }
    }
    return v;
  }

  /** What the layers after the hook see: nudges added, pinned features moved to their value, where their conditions hold. */
  private float[] edit(float[] h, List<FeatureEdit> edits, float[] plan) {
    SparseCodes own = sae.encode(new float[][] {h}).get(0);
    float[] out = h.clone();
    if (plan != null) {
      add(out, plan, 1f);
    }
    for (FeatureEdit e : edits) {
      if (e.when() != null && !(own.get(e.when().feature()) > e.when().above())) {
        continue;
      }
      float by = e.mode() == FeatureEdit.Mode.PIN ? e.value() - own.get(e.feature()) : e.value();
      add(out, decoderRow(e.feature()), by);
    }
    return out;
  }

  /** The feature's decoder row as stored (its contribution per unit of activation). */
  private float[] decoderRow(int feature) {
    return decoderRows.computeIfAbsent(feature, f -> {
      float[] row = sae.decode(new SparseCodes(new int[] {f}, new float[] {1f}));
      add(row, bDec, -1f);
      return row;
    });
  }

  private static void add(float[] into, float[] v, float times) {
    for (int j = 0; j < into.length; j++) {
      into[j] += times * v[j];
    }
  }

  private List<Completion.TokenFeatures> features(int[] tokens, float[][] hooks) {
    if (tokens.length == 0) {
      return List.of();
    }
    List<SparseCodes> codes = sae.encode(hooks);
    List<Completion.TokenFeatures> out = new ArrayList<>(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      SparseCodes c = codes.get(i);
      Integer[] order = new Integer[c.ids().length];
      for (int k = 0; k < order.length; k++) {
        order[k] = k;
      }
      Arrays.sort(order, (a, b) -> Float.compare(c.values()[b], c.values()[a]));
      int[] ids = new int[order.length];
      float[] acts = new float[order.length];
      for (int k = 0; k < order.length; k++) {
        ids[k] = c.ids()[order[k]];
        acts[k] = c.values()[order[k]];
      }
      out.add(new Completion.TokenFeatures(tokenizer.decode(new int[] {tokens[i]}), ids, acts));
    }
    return out;
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
