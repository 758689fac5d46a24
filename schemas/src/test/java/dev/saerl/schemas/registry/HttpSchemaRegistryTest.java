package dev.saerl.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.saerl.schemas.avro.Query;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The client's behaviour at the HTTP level, against a tiny loopback server speaking the
 * Confluent API's shapes: caching, error codes, waiting while the registry is unavailable. The
 * real registry is exercised by the app module's integration tests.
 */
class HttpSchemaRegistryTest {
  @Test
  void waitsWhileTheRegistryAnswers503AndCachesWhatItLearnt() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = server(exchange -> {
      int n = calls.incrementAndGet();
      byte[] body = (n <= 3 ? "{\"error_code\":50003,\"message\":\"starting\"}" : "{\"id\":7}").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(n <= 3 ? 503 : 200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    try (HttpSchemaRegistry client = new HttpSchemaRegistry(url(server), Duration.ofSeconds(20))) {
      assertEquals(7, client.register("t-value", Query.getClassSchema()));
      assertEquals(7, client.register("t-value", Query.getClassSchema()));
      assertEquals(4, calls.get(), "three 503s, one answer, then the cache");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aRefusalCarriesTheRegistrysErrorCodeAndMessage() throws IOException {
    HttpServer server = server(exchange -> {
      byte[] body = "{\"error_code\":40401,\"message\":\"Subject 'x' not found.\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(404, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    try (HttpSchemaRegistry client = new HttpSchemaRegistry(url(server))) {
      var e = assertThrows(SchemaRegistryException.class, () -> client.latest("x"));
      assertEquals(SchemaRegistryException.SUBJECT_NOT_FOUND, e.errorCode());
      assertEquals(404, e.httpStatus());
      assertTrue(e.getMessage().contains("Subject 'x' not found") && e.getMessage().contains("40401"), e.getMessage());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void anUnreachableRegistryFailsClearlyAfterTheWaitBudget() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    try (HttpSchemaRegistry client = new HttpSchemaRegistry("http://127.0.0.1:" + port, Duration.ofMillis(600))) {
      var e = assertThrows(SchemaRegistryException.class, () -> client.schemaById(1));
      assertEquals(SchemaRegistryException.UNREACHABLE, e.errorCode());
      assertTrue(e.getMessage().contains("unreachable") && e.getMessage().contains(Integer.toString(port)), e.getMessage());
    }
  }

  @Test
  void everyCallCarriesTheConfiguredCredentials() throws IOException {
    List<String> seen = new CopyOnWriteArrayList<>();
    HttpServer server = server(exchange -> {
      seen.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      reply(exchange, 200, exchange.getRequestURI().getPath().endsWith("/versions") ? "{\"id\":3}" : "[\"a-value\"]");
    });
    try (HttpSchemaRegistry bearer = new HttpSchemaRegistry(url(server), Duration.ofSeconds(5), RegistryAuth.bearer("tok-1\n"));
         HttpSchemaRegistry basic = new HttpSchemaRegistry(url(server), Duration.ofSeconds(5),
             RegistryAuth.basic("Aladdin", "open sesame"))) {
      assertEquals(List.of("a-value"), bearer.subjects());
      assertEquals(3, bearer.register("t-value", Query.getClassSchema()));
      assertEquals(List.of("a-value"), basic.subjects());
      // the header values of RFC 6750 and RFC 7617's example, not computed by the code under test
      assertEquals(List.of("Bearer tok-1", "Bearer tok-1", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), seen);
      assertFalse(basic.toString().contains("sesame") || RegistryAuth.basic("Aladdin", "open sesame").toString().contains("sesame"));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void refusedCredentialsAreNotRetriedAndTheErrorSaysWhetherAnyWereSent() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = server(exchange -> {
      calls.incrementAndGet();
      reply(exchange, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
    });
    try (HttpSchemaRegistry wrong = new HttpSchemaRegistry(url(server), Duration.ofSeconds(30), RegistryAuth.bearer("wrong-tok"));
         HttpSchemaRegistry none = new HttpSchemaRegistry(url(server), Duration.ofSeconds(30))) {
      long t0 = System.nanoTime();
      var e = assertThrows(SchemaRegistryException.class, wrong::subjects);
      assertEquals(401, e.httpStatus());
      assertEquals(1, calls.get(), "a refusal is deterministic: asked once, not retried");
      assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(), "failed at once, not after the wait budget");
      assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("credentials sent: bearer token"), e.getMessage());
      assertFalse(e.getMessage().contains("wrong-tok"), "the token is never shown: " + e.getMessage());
      var bare = assertThrows(SchemaRegistryException.class, none::subjects);
      assertTrue(bare.getMessage().contains("no credentials were sent") && bare.getMessage().contains("registry.auth.token"),
          bare.getMessage());
    } finally {
      server.stop(0);
    }
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private static HttpServer server(com.sun.net.httpserver.HttpHandler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", handler);
    server.start();
    return server;
  }

  private static String url(HttpServer server) {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }
}
