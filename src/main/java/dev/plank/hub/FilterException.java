package dev.plank.hub;

/** A filter that cannot be compiled; the message tells the client what is wrong. */
public final class FilterException extends Exception {
  public FilterException(String message) {
    super(message);
  }
}
