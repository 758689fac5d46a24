package dev.saerl.schemas.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How {@link HttpSchemaRegistry} authenticates: nothing, HTTP basic (Confluent Schema Registry's
 * {@code USER_INFO}), or a bearer token (an OAuth/OIDC access token, as Apicurio's authentication
 * expects). The header value is never printed: {@link #toString()} names only the kind and user.
 */
public final class RegistryAuth {
  public static final RegistryAuth NONE = new RegistryAuth(null, "none");

  private final String header;
  private final String shown;

  private RegistryAuth(String header, String shown) {
    this.header = header;
    this.shown = shown;
  }

  public static RegistryAuth bearer(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("the registry's bearer token is empty");
    }
    return new RegistryAuth("Bearer " + token.strip(), "bearer token");
  }

  public static RegistryAuth basic(String username, String password) {
    if (username == null || username.isBlank() || username.contains(":")) {
      throw new IllegalArgumentException("the registry's basic-auth username is empty or contains ':'");
    }
    if (password == null) {
      throw new IllegalArgumentException("the registry's basic-auth password is missing for user " + username);
    }
    String pair = username + ":" + password;
    return new RegistryAuth("Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)),
        "basic, user " + username);
  }

  /** The Authorization header's value, or null for none. */
  String header() {
    return header;
  }

  @Override
  public String toString() {
    return shown;
  }
}
