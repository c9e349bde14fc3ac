package dev.plank.bench;

/** A failure the user can act on: printed as one line, without a stack trace. */
final class BenchException extends RuntimeException {
  BenchException(String message) {
    super(message);
  }

  BenchException(String message, Throwable cause) {
    super(message, cause);
  }
}
