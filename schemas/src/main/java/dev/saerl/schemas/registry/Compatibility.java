package dev.saerl.schemas.registry;

/** Compatibility rules of the Confluent API. saerl's subjects default to BACKWARD. */
public enum Compatibility {
  NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE
}
