package dev.plank.config;

import dev.plank.auth.Policy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Who may connect and what they may read and write: tokens and the policy.
 *
 * <p>Exactly one key source may be set: an HS256 secret, a PEM public key (RS256 or ES256), or a
 * JWKS document. The key is read and checked here, so that a bad one stops start-up with one line.
 *
 * @param mode {@code PLANK_AUTH}: {@code jwt}, {@code none}, or unset (then {@code jwt} when a key
 *     is configured, else open on loopback only: see {@link #checkExposure})
 * @param secret the HS256 shared secret, or {@code null}
 * @param publicKey the PEM public key and the algorithm it verifies, or {@code null}
 * @param jwks a JWKS file path or http(s) URL, or {@code null}
 * @param issuer the required {@code iss}, or {@code null} for any
 * @param audience the required {@code aud} (one of the token's), or {@code null} for any
 * @param leeway clock skew allowed on {@code exp}, {@code nbf} and {@code iat}
 * @param roleClaimSetting {@code PLANK_ROLE_CLAIM} as set, or {@code null}: see {@link #roleClaim}
 * @param authTimeout how long a connection opened without a token has to send an {@code auth}
 *     message when tokens are required
 * @param policy the parsed {@code PLANK_POLICY}, or {@code null} when none is set: everyone the
 *     authentication lets in may read and write everything
 */
public record AuthSettings(
    Mode mode,
    String secret,
    PemKey publicKey,
    String jwks,
    String issuer,
    String audience,
    Duration leeway,
    String roleClaimSetting,
    Duration authTimeout,
    // ---- policy (PLANK_POLICY) ----
    Policy policy) {

  public static final String AUTH = "PLANK_AUTH";
  public static final String JWT_SECRET = "PLANK_JWT_SECRET";
  public static final String JWT_PUBLIC_KEY = "PLANK_JWT_PUBLIC_KEY";
  public static final String JWT_JWKS = "PLANK_JWT_JWKS";
  public static final String JWT_ISSUER = "PLANK_JWT_ISSUER";
  public static final String JWT_AUDIENCE = "PLANK_JWT_AUDIENCE";
  public static final String JWT_LEEWAY = "PLANK_JWT_LEEWAY";
  public static final String ROLE_CLAIM = "PLANK_ROLE_CLAIM";
  public static final String AUTH_TIMEOUT = "PLANK_AUTH_TIMEOUT";
  // ---- policy (PLANK_POLICY) ----
  public static final String POLICY = "PLANK_POLICY";

  /** The claim a role is read from when neither the setting nor the policy names one. */
  public static final String DEFAULT_ROLE_CLAIM = "role";

  /** RFC 7518 §3.2: an HS256 key shorter than the hash (32 bytes) weakens it. */
  static final int MIN_SECRET_BYTES = 32;

  /** Every variable this record reads. */
  public static final List<String> NAMES =
      List.of(
          AUTH,
          JWT_SECRET,
          JWT_PUBLIC_KEY,
          JWT_JWKS,
          JWT_ISSUER,
          JWT_AUDIENCE,
          JWT_LEEWAY,
          ROLE_CLAIM,
          AUTH_TIMEOUT,
          POLICY);

  /** {@code PLANK_AUTH}. */
  public enum Mode {
    /** Unset: tokens when a key is configured, else everything open on loopback only. */
    DEFAULT,
    JWT,
    NONE
  }

  /** A PEM public key's text and the one algorithm it verifies ({@code RS256} or {@code ES256}). */
  public record PemKey(String pem, String algorithm) {
    @Override
    public String toString() {
      return "PemKey[" + algorithm + "]";
    }
  }

  /** Never prints the secret, should a record ever reach a log line. */
  @Override
  public String toString() {
    return "AuthSettings[mode="
        + mode
        + ", secret="
        + (secret == null ? "unset" : "set")
        + ", publicKey="
        + publicKey
        + ", jwks="
        + jwks
        + ", issuer="
        + issuer
        + ", audience="
        + audience
        + ", leeway="
        + leeway
        + "]";
  }

  static AuthSettings load(Source s) {
    Mode mode = s.get(AUTH, null, AuthSettings::mode);
    String secret = s.get(JWT_SECRET, null, AuthSettings::secret);
    PemKey publicKey = s.get(JWT_PUBLIC_KEY, null, v -> blank(v) ? null : pem(Path.of(v.strip())));
    String jwks = s.get(JWT_JWKS, null, v -> blank(v) ? null : jwks(v.strip()));
    int keys = (secret != null ? 1 : 0) + (publicKey != null ? 1 : 0) + (jwks != null ? 1 : 0);
    if (keys > 1) {
      throw new ConfigException(
          "set only one of " + JWT_SECRET + ", " + JWT_PUBLIC_KEY + " and " + JWT_JWKS);
    }
    if (mode == null) mode = Mode.DEFAULT;
    if (mode == Mode.JWT && keys == 0) {
      throw new ConfigException(
          AUTH + "=jwt needs a key: set " + JWT_SECRET + ", " + JWT_PUBLIC_KEY + " or " + JWT_JWKS);
    }
    if (mode == Mode.NONE && keys > 0) {
      throw new ConfigException(
          AUTH + "=none turns tokens off, but a JWT key is configured too: remove one of them");
    }
    if (mode == Mode.DEFAULT && keys > 0) mode = Mode.JWT;
    return new AuthSettings(
        mode,
        secret,
        publicKey,
        jwks,
        s.get(JWT_ISSUER, null, v -> blank(v) ? null : v.strip()),
        s.get(JWT_AUDIENCE, null, v -> blank(v) ? null : v.strip()),
        s.duration(JWT_LEEWAY, "30s", Duration.ZERO),
        s.get(ROLE_CLAIM, null, v -> blank(v) ? null : v.strip()),
        s.duration(AUTH_TIMEOUT, "10s", Duration.ofMillis(100)),
        // ---- policy (PLANK_POLICY) ----
        s.get(POLICY, null, v -> blank(v) ? null : Policy.load(POLICY, Path.of(v.strip()))));
  }

  /** Whether clients must present tokens ({@code PLANK_AUTH=jwt}, or a key is configured). */
  public boolean tokensRequired() {
    return mode == Mode.JWT;
  }

  /**
   * The claim a principal's role is read from: {@code PLANK_ROLE_CLAIM} when set, else the policy
   * file's {@code roleClaim}, else {@code role}.
   *
   * @param fromPolicy the policy file's {@code roleClaim}, or {@code null}
   */
  public String roleClaim(String fromPolicy) {
    if (roleClaimSetting != null) return roleClaimSetting;
    return fromPolicy != null && !fromPolicy.isBlank() ? fromPolicy : DEFAULT_ROLE_CLAIM;
  }

  /**
   * The secure-defaults rule: without tokens and without an explicit {@code PLANK_AUTH=none}, Plank
   * serves everything only on a loopback address. Throws a one-line {@link ConfigException} for any
   * other address; answers the start-up line to log otherwise (or {@code null} when tokens are
   * required).
   */
  public String checkExposure(String host) {
    return switch (mode) {
      case JWT -> null;
      case NONE ->
          "Authentication is off (PLANK_AUTH=none): anyone who can reach "
              + host
              + " reads and writes every captured table";
      case DEFAULT -> {
        if (!isLoopback(host)) {
          throw new ConfigException(
              "refusing to serve without authentication on "
                  + host
                  + ", which is not a loopback address: set "
                  + JWT_SECRET
                  + ", "
                  + JWT_PUBLIC_KEY
                  + " or "
                  + JWT_JWKS
                  + ", or "
                  + AUTH
                  + "=none to serve without auth");
        }
        yield "No authentication configured: serving everything without tokens, on "
            + host
            + " only because it is a loopback address (set PLANK_JWT_* to require tokens)";
      }
    };
  }

  static boolean isLoopback(String host) {
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (h.isEmpty()) return false;
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static boolean blank(String v) {
    return v.isBlank();
  }

  private static Mode mode(String v) {
    return switch (v.strip().toLowerCase(Locale.ROOT)) {
      case "" -> null;
      case "jwt" -> Mode.JWT;
      case "none" -> Mode.NONE;
      default -> throw new ConfigException(AUTH + " must be jwt or none (got '" + v + "')");
    };
  }

  private static String secret(String v) {
    if (v.isEmpty()) return null;
    if (v.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      // Never echo the value: it is a secret even when it is a bad one.
      throw new ConfigException(
          JWT_SECRET + " must be at least " + MIN_SECRET_BYTES + " bytes long for HS256");
    }
    return v;
  }

  private static PemKey pem(Path path) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(JWT_PUBLIC_KEY + ": cannot read " + path);
    }
    String body =
        text.replaceAll("-----BEGIN PUBLIC KEY-----|-----END PUBLIC KEY-----|\\s", "").strip();
    if (!text.contains("-----BEGIN PUBLIC KEY-----") || body.isEmpty()) {
      throw new ConfigException(
          JWT_PUBLIC_KEY + ": " + path + " holds no PEM public key (-----BEGIN PUBLIC KEY-----)");
    }
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(JWT_PUBLIC_KEY + ": " + path + " is not valid PEM");
    }
    for (String kind : List.of("RSA", "EC")) {
      try {
        PublicKey key = KeyFactory.getInstance(kind).generatePublic(new X509EncodedKeySpec(der));
        if (key instanceof ECPublicKey ec
            && ec.getParams().getCurve().getField().getFieldSize() != 256) {
          throw new ConfigException(
              JWT_PUBLIC_KEY + ": " + path + " is an EC key not on P-256 (ES256 needs P-256)");
        }
        return new PemKey(text, kind.equals("RSA") ? "RS256" : "ES256");
      } catch (java.security.GeneralSecurityException e) {
        // try the next kind
      }
    }
    throw new ConfigException(JWT_PUBLIC_KEY + ": " + path + " is neither an RSA nor an EC key");
  }

  private static String jwks(String v) {
    String lower = v.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) return v;
    Path path = Path.of(v);
    if (!Files.isReadable(path)) {
      throw new ConfigException(
          JWT_JWKS + ": cannot read " + path + " (a file path or http(s) URL)");
    }
    return v;
  }
}
