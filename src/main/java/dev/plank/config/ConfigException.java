package dev.plank.config;

/** A setting that cannot be used; the message is one line naming the setting. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
