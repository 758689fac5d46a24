package dev.saerl.schemas.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry REST API that saerl uses. Implementations cache what
 * cannot change (an id's schema, a subject's id for a schema), so hot paths make no request.
 */
public interface SchemaRegistry extends AutoCloseable {

  /** Registers the schema under the subject (idempotent) and returns its global id. */
  int register(String subject, Schema schema);

  /** The id the schema already has under the subject; fails with 40401/40403 when it has none. */
  int idOf(String subject, Schema schema);

  /** The schema with this global id. */
  Schema schemaById(int id);

  /** The newest version registered under the subject. */
  RegisteredSchema latest(String subject);

  /** Whether the schema could be registered under the subject's compatibility rule. */
  CompatibilityResult testCompatibility(String subject, Schema schema);

  /** Sets the subject's compatibility rule. */
  void setCompatibility(String subject, Compatibility level);

  /** Every subject with at least one version. */
  List<String> subjects();

  /** Where the registry is, for messages. */
  String describe();

  @Override
  default void close() {}
}
