package dev.saerl.workers.pack;

/** A model pack that cannot be used; the message names the file and the field at fault. */
public class ModelPackException extends RuntimeException {
  public ModelPackException(String message) {
    super(message);
  }

  public ModelPackException(String message, Throwable cause) {
    super(message, cause);
  }
}
