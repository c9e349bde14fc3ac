package dev.plank.config;

import java.util.List;

/** Who may connect and what they may read and write: tokens and the policy. */
public record AuthSettings() {
  /** Every variable this record reads. */
  public static final List<String> NAMES = List.of();

  static AuthSettings load(Source s) {
    return new AuthSettings();
  }
}
