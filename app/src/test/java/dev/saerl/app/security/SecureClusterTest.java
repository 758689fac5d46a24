package dev.saerl.app.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.app.embedded.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * saerl's client settings against the embedded broker with a SASL_SSL listener (SCRAM-SHA-512 over
 * TLS with a certificate made here by keytool): the right credentials produce and consume, a wrong
 * password is refused with an authentication error, and the password is never shown.
 */
@Tag("integration")
class SecureClusterTest {
  @TempDir
  Path dir;

  @Test
  void clientsAuthenticateWithScramOverTlsAndWrongPasswordsAreRefused() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    Path truststore = dir.resolve("truststore.p12");
    String storePass = "store-pass-1";
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
        "-ext", "SAN=IP:127.0.0.1,DNS:localhost", "-keystore", keystore.toString(), "-storetype", "PKCS12",
        "-storepass", storePass, "-keypass", storePass);
    keytool("-exportcert", "-alias", "broker", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", storePass,
        "-rfc", "-file", dir.resolve("broker.pem").toString());
    keytool("-importcert", "-noprompt", "-alias", "broker", "-file", dir.resolve("broker.pem").toString(), "-keystore",
        truststore.toString(), "-storetype", "PKCS12", "-storepass", storePass);

    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("data"), new EmbeddedKafka.SecureListener(keystore, storePass))) {
      Properties plain = new Properties();
      plain.put("bootstrap.servers", kafka.bootstrapServers());
      try (Admin admin = Admin.create(plain)) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "alice-secret"))).all().get(30, TimeUnit.SECONDS);
        admin.createTopics(List.of(new NewTopic("secure-topic", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      Path passwordFile = dir.resolve("password");
      Files.writeString(passwordFile, "alice-secret\n");
      Path config = dir.resolve("saerl.properties");
      Files.writeString(config, String.join("\n",
          "bootstrap.servers=" + kafka.secureBootstrapServers(),
          "kafka.security.protocol=SASL_SSL",
          "kafka.sasl.mechanism=SCRAM-SHA-512",
          "kafka.sasl.username=alice",
          "kafka.sasl.password.file=" + passwordFile,
          "kafka.ssl.truststore.location=" + truststore,
          "kafka.ssl.truststore.password=" + storePass) + "\n");
      SaerlConfig good = SaerlConfig.resolve(config, Map.of(), Map.of());
      assertFalse(good.toString().contains(storePass), "passwords hidden: " + good);

      // credentials propagate asynchronously: retry the first send, bounded
      Properties client = good.kafkaClient();
      client.put("max.block.ms", "5000");
      long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
      Exception last = null;
      boolean sent = false;
      while (!sent && System.nanoTime() < deadline) {
        try (var producer = new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
          producer.send(new ProducerRecord<>("secure-topic", "k", "over SASL_SSL")).get(10, TimeUnit.SECONDS);
          sent = true;
        } catch (ExecutionException | org.apache.kafka.common.KafkaException | java.util.concurrent.TimeoutException e) {
          last = e;
          Thread.sleep(500);
        }
      }
      assertTrue(sent, "could not produce over SASL_SSL: " + last);
      try (var consumer = new KafkaConsumer<>(client, new StringDeserializer(), new StringDeserializer())) {
        TopicPartition tp = new TopicPartition("secure-topic", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<String> values = new ArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (values.isEmpty() && System.nanoTime() < until) {
          consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
        }
        assertEquals(List.of("over SASL_SSL"), values);
      }

      Files.writeString(dir.resolve("nope"), "not-the-password\n");
      Properties wrongClient = SaerlConfig.resolve(config, Map.of(), Map.of("kafka.sasl.password.file", dir.resolve("nope").toString()))
          .kafkaClient();
      wrongClient.put("max.block.ms", "10000");
      try (var producer = new KafkaProducer<>(wrongClient, new StringSerializer(), new StringSerializer())) {
        var e = assertThrows(Exception.class, () -> producer.send(new ProducerRecord<>("secure-topic", "k", "x")).get(15, TimeUnit.SECONDS));
        Throwable cause = e;
        while (cause != null && !(cause instanceof SaslAuthenticationException)) {
          cause = cause.getCause();
        }
        assertTrue(cause != null || e instanceof SaslAuthenticationException, "refused by authentication: " + e);
      }
    }
  }

  static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    // output to a file, not a pipe read before waitFor: a read would block past the timeout
    Path log = java.nio.file.Files.createTempFile("keytool-", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean finished = p.waitFor(60, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly().waitFor();
    }
    String out = java.nio.file.Files.readString(log);
    java.nio.file.Files.delete(log);
    assertTrue(finished, "keytool timed out: " + out);
    assertEquals(0, p.exitValue(), "keytool " + String.join(" ", args) + ": " + out);
  }
}
