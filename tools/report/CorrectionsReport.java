// Corrections report: per-sample fix rates per arm (fixed at any of the given strengths), rollouts
// spent per fix, critical-step histogram, most frequent critical tokens and example curves, read
// from the corrections topic of a running stack (topic prefix "saerl.").
// Not compiled by the build; run with the built jar from the repository root:
//   java -cp app/target/saerl.jar tools/report/CorrectionsReport.java DATA_DIR STRENGTHS
//   java -cp app/target/saerl.jar tools/report/CorrectionsReport.java data 0.1,0.25,0.5
import dev.saerl.schemas.avro.*;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.*;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class CorrectionsReport {
  public static void main(String[] a) throws Exception {
    Properties ep = new Properties();
    ep.load(new java.io.FileReader(a[0] + "/endpoints.properties"));
    var reg = new HttpSchemaRegistry(ep.getProperty("registry.url"));
    Topics topics = new Topics("saerl.", reg);
    var t = topics.get(TopicSpecs.CORRECTIONS);
    Properties p = new Properties();
    p.put("bootstrap.servers", ep.getProperty("bootstrap.servers"));
    p.put("isolation.level", "read_committed");
    List<Correction> all = new ArrayList<>();
    try (var c = new KafkaConsumer<byte[], byte[]>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var parts = c.partitionsFor(t.name()).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts); c.seekToBeginning(parts);
      var end = c.endOffsets(parts);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() < deadline && parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)))
        for (var r : c.poll(Duration.ofMillis(200))) all.add(t.valueSerde().deserializer().deserialize(r.topic(), r.value()));
    }
    Set<Float> strengths = new TreeSet<>(); for (var s : a[1].split(",")) strengths.add(Float.parseFloat(s));
    Map<String, Correction> firstBySample = new LinkedHashMap<>();
    Map<String, Integer> rollouts = new HashMap<>();
    Map<String, Set<String>> fixedArms = new TreeMap<>();
    Map<String, Integer> armSamples = new TreeMap<>();
    for (Correction x : all) {
      if (!strengths.contains(x.getStrength())) continue;
      firstBySample.putIfAbsent(x.getSampleId(), x);
      rollouts.put(x.getSampleId(), x.getRolloutsUsed());
      if (x.getFixed()) fixedArms.computeIfAbsent(x.getArm().toString(), k -> new HashSet<>()).add(x.getSampleId());
    }
    int samples = firstBySample.size();
    long totalRollouts = rollouts.values().stream().mapToLong(Integer::longValue).sum();
    System.out.println("samples " + samples + ", rollouts " + totalRollouts + " (" + (double) totalRollouts / samples + " per sample)");
    for (var e : fixedArms.entrySet()) {
      int n = e.getValue().size();
      var w = dev.saerl.core.stats.Wilson.of(n, samples);
      System.out.printf("%-18s samples fixed at any strength: %d/%d = %.3f [%.3f, %.3f]; rollouts per fixed sample %.1f%n", e.getKey(), n, samples, w.rate(), w.low(), w.high(), (double) totalRollouts / n);
    }
    Map<Integer, Integer> stepHist = new TreeMap<>();
    Map<String, Integer> tokHist = new HashMap<>();
    int i = 0;
    for (Correction x : firstBySample.values()) {
      stepHist.merge(x.getCriticalStep(), 1, Integer::sum);
      tokHist.merge(x.getCriticalTokenText(), 1, Integer::sum);
      if (i++ < 6) System.out.println("EXAMPLE step " + x.getCriticalStep() + " token " + x.getCriticalToken() + " '" + x.getCriticalTokenText() + "' curve " + x.getStepSuccessEstimates() + " tokens " + x.getTokenPositions() + " " + x.getTokenSuccessEstimates() + "\n  rejected: " + x.getRejected() + "\n  prompt: " + x.getPrompt().replace("\n", " | "));
    }
    System.out.println("critical step histogram " + stepHist);
    var toks = new ArrayList<>(tokHist.entrySet()); toks.sort(Map.Entry.<String,Integer>comparingByValue().reversed());
    System.out.println("critical token texts " + toks.subList(0, Math.min(12, toks.size())));
    for (Correction x : all) if (x.getFixed() && x.getArm() == Arm.PLAN && strengths.contains(x.getStrength())) { System.out.println("FIXED by plan@" + x.getStrength() + ": rejected: " + x.getRejected() + "\n   chosen: " + x.getChosen()); break; }
  }
}
