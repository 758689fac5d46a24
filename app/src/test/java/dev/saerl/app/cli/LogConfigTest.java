package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The production log4j2.xml as the demo sets it up (LogFile): what reaches the console and what the file. */
class LogConfigTest {
  @TempDir
  Path dir;

  @Test
  void theFileGetsEverythingTheConsoleOnlyWhatAPersonCanActOn() throws Exception {
    Path file = dir.resolve("saerl.log");
    System.setProperty("saerl.log.file", file.toString());
    System.setProperty("saerl.console.level", "WARN");
    System.setProperty("saerl.console.kafka.level", "ERROR");
    PrintStream stderr = System.err;
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
    LoggerContext ctx = new LoggerContext("log-config-test", null, getClass().getResource("/log4j2.xml").toURI());
    try {
      ctx.start();
      ctx.getLogger("dev.saerl.workers.generate.GeneratorWorker").debug("16 samples, 900 tokens");
      ctx.getLogger("dev.saerl.app.demo.Demo").info("round 1 of 2");
      ctx.getLogger("dev.saerl.workers.correct.CorrectorWorker").warn("dead-lettering sample s1");
      ctx.getLogger("org.apache.kafka.clients.NetworkClient").warn("Error while fetching metadata: {t=UNKNOWN_TOPIC_OR_PARTITION}");
      ctx.getLogger("org.apache.kafka.clients.NetworkClient").error("Connection to node 1 failed authentication");
      ctx.getLogger("org.apache.kafka.clients.consumer.ConsumerConfig").warn("These configurations '[x]' were supplied but are not used yet.");
    } finally {
      ctx.stop();
      System.setErr(stderr);
      System.clearProperty("saerl.log.file");
      System.clearProperty("saerl.console.level");
      System.clearProperty("saerl.console.kafka.level");
    }
    String out = console.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("dead-lettering sample s1"), "saerl's warnings on the console:\n" + out);
    assertTrue(out.contains("failed authentication"), "Kafka's errors on the console:\n" + out);
    assertFalse(out.contains("16 samples") || out.contains("round 1 of 2"), "per-batch and stage lines are not:\n" + out);
    assertFalse(out.contains("UNKNOWN_TOPIC_OR_PARTITION") || out.contains("not used yet"), "Kafka noise is not:\n" + out);
    String log = Files.readString(file);
    for (String line : new String[] {"DEBUG [main] dev.saerl.workers.generate.GeneratorWorker - 16 samples", "round 1 of 2",
        "dead-lettering", "UNKNOWN_TOPIC_OR_PARTITION", "failed authentication"}) {
      assertTrue(log.contains(line), "the file has '" + line + "':\n" + log);
    }
  }

  @Test
  void aRoleWithoutALogFileShowsItsInfoAndActionableKafkaWarningsButNotKafkaNoise() throws Exception {
    PrintStream stderr = System.err;
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
    LoggerContext ctx = new LoggerContext("log-config-role-test", null, getClass().getResource("/log4j2.xml").toURI());
    try {
      ctx.start();
      ctx.getLogger("dev.saerl.workers.generate.GeneratorWorker").info("switching to model version v2");
      ctx.getLogger("dev.saerl.workers.generate.GeneratorWorker").debug("16 samples, 900 tokens");
      ctx.getLogger("org.apache.kafka.clients.NetworkClient").warn("Connection to node -1 (localhost/127.0.0.1:9092) could not be "
          + "established. Node may not be available.");
      ctx.getLogger("org.apache.kafka.clients.NetworkClient").warn("The metadata response from the cluster reported a recoverable "
          + "issue with correlation id 2 : {t=UNKNOWN_TOPIC_OR_PARTITION}");
      ctx.getLogger("org.apache.kafka.clients.producer.internals.Sender").warn("Got error produce response, retrying. Error: "
          + "CONCURRENT_TRANSACTIONS");
      ctx.getLogger("org.apache.kafka.clients.consumer.internals.ConsumerCoordinator").warn("Offset commit failed on partition q-0");
    } finally {
      ctx.stop();
      System.setErr(stderr);
    }
    String out = console.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("switching to model version v2"), out);
    assertTrue(out.contains("Offset commit failed"), "a Kafka warning a user may act on:\n" + out);
    assertTrue(out.contains("Node may not be available"), "a broker that cannot be reached is one:\n" + out);
    assertFalse(out.contains("16 samples"), "DEBUG is for the file:\n" + out);
    assertFalse(out.contains("recoverable issue") || out.contains("CONCURRENT_TRANSACTIONS"),
        "noise filtered:\n" + out);
  }
}
