package dev.plank.config;

import dev.plank.auth.Policy;
import java.nio.file.Path;
import java.util.List;

/**
 * Who may connect and what they may read and write: tokens and the policy.
 *
 * @param policy the parsed {@code PLANK_POLICY}, or {@code null} when none is set: everyone the
 *     authentication lets in may read and write everything
 */
public record AuthSettings(
    // ---- policy (PLANK_POLICY) ----
    Policy policy) {
  // ---- policy (PLANK_POLICY) ----
  public static final String POLICY = "PLANK_POLICY";

  /** Every variable this record reads. */
  public static final List<String> NAMES = List.of(POLICY);

  static AuthSettings load(Source s) {
    return new AuthSettings(
        // ---- policy (PLANK_POLICY) ----
        s.get(POLICY, null, v -> v.isBlank() ? null : Policy.load(POLICY, Path.of(v.strip()))));
  }
}
