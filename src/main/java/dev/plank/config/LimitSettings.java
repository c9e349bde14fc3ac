package dev.plank.config;

import java.util.List;

/** Bounds that keep one client from hurting the others. */
public record LimitSettings() {
  /** Every variable this record reads. */
  public static final List<String> NAMES = List.of();

  static LimitSettings load(Source s) {
    return new LimitSettings();
  }
}
