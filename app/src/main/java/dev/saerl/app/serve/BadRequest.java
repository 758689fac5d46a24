package dev.saerl.app.serve;

/** A request refused before it runs: the HTTP status, the field at fault (null for the whole body) and why. */
public final class BadRequest extends RuntimeException {
  private final int status;
  private final String param;

  public BadRequest(int status, String param, String message) {
    super(message);
    this.status = status;
    this.param = param;
  }

  public static BadRequest field(String param, String message) {
    return new BadRequest(400, param, param + ": " + message);
  }

  public int status() {
    return status;
  }

  public String param() {
    return param;
  }
}
