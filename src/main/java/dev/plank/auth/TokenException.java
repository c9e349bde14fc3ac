package dev.plank.auth;

/**
 * A token that was refused. The message is short, safe to show the client, and never holds the
 * token or any key material.
 */
public final class TokenException extends Exception {
  public TokenException(String reason) {
    super(reason, null, false, false);
  }
}
