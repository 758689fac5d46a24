package dev.saerl.schemas.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void everyTopicGetsThePrefixAndAUniqueName() {
    Topics topics = new Topics("team-a.", new InMemorySchemaRegistry());
    Set<String> names = new HashSet<>();
    topics.all().forEach(t -> names.add(t.name()));
    assertEquals(TopicSpecs.ALL.size(), names.size());
    assertEquals("team-a.queries", topics.get(TopicSpecs.QUERIES).name());
    Topic<String, Query> q = topics.get(TopicSpecs.QUERIES);
    assertEquals("team-a.queries-value", q.valueSubject());
  }

  @Test
  void compactedTopicsKeepRecordsForeverAndOthersExpire() {
    Topics topics = new Topics("", new InMemorySchemaRegistry());
    var queries = topics.newTopic(TopicSpecs.QUERIES, (short) 1);
    assertEquals("compact", queries.configs().get("cleanup.policy"));
    assertEquals("-1", queries.configs().get("retention.ms"));
    var generations = topics.newTopic(TopicSpecs.GENERATIONS, (short) 1);
    assertEquals("delete", generations.configs().get("cleanup.policy"));
    assertEquals(Long.toString(30L * 24 * 3600 * 1000), generations.configs().get("retention.ms"));
  }

  @Test
  void aPrefixWithSpacesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Topics("my topics", new InMemorySchemaRegistry()));
  }

  @Test
  void registeringSchemasSetsEverySubject() {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    var ids = new Topics("saerl.", registry).registerSchemas();
    assertEquals(TopicSpecs.ALL.size(), ids.size());
    assertEquals(Set.copyOf(registry.subjects()), ids.keySet());
  }
}
