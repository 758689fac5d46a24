package dev.saerl.app.chaos;

import dev.saerl.app.embedded.KafkaCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Kills, from a seeded schedule, a Kafka node (the KRaft controller, a partition leader, or any) or a
 * role's JVM with SIGKILL, restarts it after a seeded delay and waits until it has recovered, then
 * pauses a seeded time before the next kill. One fault at a time: with three replicas and
 * min.insync.replicas 2 the cluster is meant to survive one node down, not two. Recovered means: a
 * node is back and every partition (internal topics included) has all its replicas in sync again; a
 * role's restarted JVM is a member of its group again (a new member id under its static instance id),
 * the group is stable and the member has partitions.
 */
final class ChaosDriver {
  enum Target { CONTROLLER, LEADER, BROKER, WORKER, STREAMS, CORRECTOR, FINETUNE }

  record Kill(int n, Target target, String victim, String detail, double atS, double restartAfterS, double recoveredAfterS) {}

  private final KafkaCluster cluster;
  private final Admin admin;
  private final Map<Target, List<ChaosRole>> roles;
  private final List<String> leaderTopics;
  private final Random random;
  private final Duration recoveryTimeout;
  private final long t0 = System.nanoTime();
  final List<Kill> kills = new ArrayList<>();

  ChaosDriver(KafkaCluster cluster, Admin admin, Map<Target, List<ChaosRole>> roles, List<String> leaderTopics, long seed,
              Duration recoveryTimeout) {
    this.cluster = cluster;
    this.admin = admin;
    this.roles = roles;
    this.leaderTopics = leaderTopics;
    this.random = new Random(seed);
    this.recoveryTimeout = recoveryTimeout;
  }

  /**
   * Every target at least once (the role targets only where a role of that kind runs), the rest drawn
   * (brokers about a third of the time), in a seeded order.
   */
  List<Target> schedule(int count) {
    List<Target> weighted = new ArrayList<>(List.of(Target.CONTROLLER, Target.LEADER, Target.BROKER));
    for (Target t : List.of(Target.WORKER, Target.STREAMS, Target.CORRECTOR, Target.FINETUNE)) {
      if (!roles.getOrDefault(t, List.of()).isEmpty()) {
        weighted.add(t);
        weighted.add(t);
      }
    }
    List<Target> s = new ArrayList<>(new java.util.LinkedHashSet<>(weighted));
    while (s.size() < count) {
      s.add(weighted.get(random.nextInt(weighted.size())));
    }
    Collections.shuffle(s, random);
    return s;
  }

  /**
   * Runs the schedule; {@code maxPause} bounds the seeded wait between a recovery and the next kill,
   * {@code between} runs after each pause, just before the kill (the test feeds more queries there).
   */
  void run(List<Target> schedule, Duration maxPause, Duration maxRestartDelay, Runnable between) throws Exception {
    for (Target t : schedule) {
      Thread.sleep(random.nextLong(maxPause.toMillis() + 1));
      between.run(); // new work just before the fault, so it finds the roles busy
      kills.add(t.ordinal() <= Target.BROKER.ordinal() ? killNode(t, maxRestartDelay) : killRole(t, maxRestartDelay));
    }
  }

  private double now() {
    return (System.nanoTime() - t0) / 1e9;
  }

  private Kill killNode(Target t, Duration maxRestartDelay) throws Exception {
    int controller = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
    int victim;
    String detail;
    switch (t) {
      case CONTROLLER -> {
        victim = controller;
        detail = "the KRaft controller (quorum leader)";
      }
      case LEADER -> {
        String topic = leaderTopics.get(random.nextInt(leaderTopics.size()));
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        TopicPartitionInfo p = d.partitions().get(random.nextInt(d.partitions().size()));
        victim = p.leader().id();
        detail = "leader of " + topic + "-" + p.partition() + (victim == controller ? ", also the controller" : "");
      }
      default -> {
        List<Integer> ids = new ArrayList<>(cluster.nodeIds());
        victim = ids.get(random.nextInt(ids.size()));
        detail = "a node" + (victim == controller ? " (the controller)" : "");
      }
    }
    int leaderships = leaderships(victim);
    double at = now();
    long pid = cluster.pid(victim);
    cluster.kill(victim);
    long delay = random.nextLong(maxRestartDelay.toMillis() + 1);
    Thread.sleep(delay);
    // a node back before the controller noticed it gone was no outage: wait (bounded) until it is fenced
    String noticed = awaitFenced(victim, Duration.ofSeconds(30));
    int newController = admin.describeMetadataQuorum().quorumInfo().get(60, TimeUnit.SECONDS).leaderId();
    cluster.restart(victim);
    double restart = now() - at;
    long deadline = System.nanoTime() + recoveryTimeout.toNanos();
    String state;
    while ((state = replication()) != null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("kafka node " + victim + " not recovered in " + recoveryTimeout + ": " + state);
      }
      Thread.sleep(250);
    }
    Kill k = new Kill(kills.size() + 1, t, "kafka-" + victim, detail + ", pid " + pid + ", led " + leaderships
        + " partitions; controller after the kill: " + newController + "; " + noticed, at, restart, now() - at);
    print(k);
    return k;
  }

  private Kill killRole(Target t, Duration maxRestartDelay) throws Exception {
    List<ChaosRole> candidates = roles.get(t);
    ChaosRole role = candidates.get(random.nextInt(candidates.size()));
    if (!role.alive()) {
      throw new IllegalStateException(role.name + " exited on its own with " + role.exitCode() + "; see " + role.log());
    }
    String before = memberId(role);
    // a role with an output topic is killed at its most fragile moment: just after one of its
    // transactions committed (its outputs visible), when its consumed offsets must be committed with them
    // the finetuner, at its own: mid-round, while its trainer runs
    String moment = t == Target.FINETUNE ? whileTraining(role, Duration.ofSeconds(120))
        : role.output == null ? "" : afterCommit(role.output, Duration.ofSeconds(60));
    double at = now();
    long pid = role.pid();
    role.kill();
    Thread.sleep(random.nextLong(maxRestartDelay.toMillis() + 1));
    role.start();
    double restart = now() - at;
    long deadline = System.nanoTime() + recoveryTimeout.toNanos();
    while (!rejoined(role, before)) {
      if (!role.alive()) {
        throw new IllegalStateException(role.name + " exited after its restart with " + role.exitCode() + "; see " + role.log());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(role.name + " did not rejoin " + role.group + " in " + recoveryTimeout);
      }
      Thread.sleep(250);
    }
    Kill k = new Kill(kills.size() + 1, t, role.name, "pid " + pid + (before == null ? ", not yet in its group" : "") + moment, at,
        restart, now() - at);
    print(k);
    return k;
  }

  private static void print(Kill k) {
    report(String.format("kill %2d at %6.1f s: %-9s %-10s (%s); restarted after %.1f s, recovered after %.1f s",
        k.n(), k.atS(), k.target(), k.victim(), k.detail(), k.restartAfterS(), k.recoveredAfterS()));
  }

  /** Where progress lines also go as they happen (surefire keeps a test's stdout until it ends). */
  static final java.nio.file.Path PROGRESS = java.nio.file.Path.of(System.getProperty("saerl.chaos.progress",
      "target/chaos-progress.txt"));

  /** A progress line: to stdout and appended to {@link #PROGRESS}. */
  static synchronized void report(String line) {
    System.out.println(line);
    try {
      java.nio.file.Files.writeString(PROGRESS, line + "\n", java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (java.io.IOException e) {
      System.out.println("(progress file " + PROGRESS + ": " + e + ")");
    }
  }

  private int leaderships(int node) throws Exception {
    int n = 0;
    for (TopicDescription d : describeAll().values()) {
      for (TopicPartitionInfo p : d.partitions()) {
        if (p.leader() != null && p.leader().id() == node) {
          n++;
        }
      }
    }
    return n;
  }

  private Map<String, TopicDescription> describeAll() throws Exception {
    Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
    return admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
  }

  /**
   * Waits (bounded) until {@code topic}'s committed end grows, then a seeded 0-400 ms: says when, or
   * that nothing was committed in {@code max} (the role idle).
   */
  private String afterCommit(String topic, Duration max) throws Exception {
    long before = committedEnd(topic);
    long start = System.nanoTime();
    while (committedEnd(topic) <= before) {
      if (System.nanoTime() - start > max.toNanos()) {
        return ", idle (nothing committed to " + topic + " in " + max + ")";
      }
      Thread.sleep(50);
    }
    long lag = random.nextLong(401);
    Thread.sleep(lag);
    return ", " + lag + " ms after a commit to " + topic;
  }

  /** Waits (bounded) until {@code role} has a child process (the trainer), then a seeded 0-2,000 ms. */
  private String whileTraining(ChaosRole role, Duration max) throws InterruptedException {
    long start = System.nanoTime();
    while (!role.training()) {
      if (System.nanoTime() - start > max.toNanos()) {
        return ", not training (no trainer ran in " + max + ")";
      }
      Thread.sleep(100);
    }
    long lag = random.nextLong(2001);
    Thread.sleep(lag);
    return ", mid-round: " + lag + " ms into a training" + (role.training() ? "" : " (which had ended)");
  }

  private long committedEnd(String topic) throws Exception {
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new LinkedHashMap<>();
    for (TopicPartitionInfo p : admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
        .partitions()) {
      latest.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
          org.apache.kafka.clients.admin.OffsetSpec.latest());
    }
    return admin.listOffsets(latest, new org.apache.kafka.clients.admin.ListOffsetsOptions(
            org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS).values().stream()
        .mapToLong(i -> i.offset()).sum();
  }

  /** Waits until the cluster no longer lists {@code node} among its brokers; says after how long, or that it never did. */
  private String awaitFenced(int node, Duration max) throws InterruptedException {
    long start = System.nanoTime();
    while (System.nanoTime() - start < max.toNanos()) {
      try {
        if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream().noneMatch(n -> n.id() == node)) {
          return String.format("fenced after %.1f s", (System.nanoTime() - start) / 1e9);
        }
      } catch (Exception e) {
        // the admin client's own node may be the one down: ask again
      }
      Thread.sleep(200);
    }
    return "not fenced in " + max;
  }

  /** Null when every node is up and every partition's replicas are all in sync; else what is missing. */
  String replication() {
    try {
      int nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
      if (nodes < cluster.nodeIds().size()) {
        return nodes + " brokers registered";
      }
      for (TopicDescription d : describeAll().values()) {
        for (TopicPartitionInfo p : d.partitions()) {
          if (p.isr().size() < p.replicas().size() || p.leader() == null) {
            return d.name() + "-" + p.partition() + " isr " + p.isr().size() + "/" + p.replicas().size();
          }
        }
      }
      return null;
    } catch (Exception e) {
      return e.toString();
    }
  }

  private MemberDescription member(ChaosRole role, ConsumerGroupDescription g) {
    return g.members().stream().filter(m -> m.groupInstanceId().map(i -> i.startsWith(role.instancePrefix)).orElse(false))
        .findFirst().orElse(null);
  }

  private String memberId(ChaosRole role) {
    try {
      MemberDescription m = member(role, describe(role.group));
      return m == null ? null : m.consumerId();
    } catch (Exception e) {
      return null;
    }
  }

  private ConsumerGroupDescription describe(String group) throws Exception {
    return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
  }

  private boolean rejoined(ChaosRole role, String before) {
    try {
      ConsumerGroupDescription g = describe(role.group);
      MemberDescription m = member(role, g);
      return g.groupState() == GroupState.STABLE && m != null && !m.consumerId().equals(before)
          && !m.assignment().topicPartitions().isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  /** Kills per target, and per victim kind the median and largest time to recover. */
  String summary() {
    Map<Target, Long> perTarget = new LinkedHashMap<>();
    Map<String, List<Double>> recovery = new TreeMap<>();
    for (Kill k : kills) {
      perTarget.merge(k.target(), 1L, Long::sum);
      String kind = k.target().ordinal() <= Target.BROKER.ordinal() ? "broker" : k.target().name().toLowerCase();
      recovery.computeIfAbsent(kind, x -> new ArrayList<>()).add(k.recoveredAfterS());
      recovery.computeIfAbsent("all", x -> new ArrayList<>()).add(k.recoveredAfterS());
    }
    StringBuilder b = new StringBuilder("chaos summary: " + kills.size() + " kills; per target " + perTarget + "\n");
    recovery.forEach((kind, times) -> {
      List<Double> sorted = times.stream().sorted().toList();
      double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
          : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
      b.append(String.format("  recovery %-9s n=%2d median %5.1f s, max %5.1f s%n", kind, sorted.size(), median,
          sorted.get(sorted.size() - 1)));
    });
    return b.toString();
  }
}
