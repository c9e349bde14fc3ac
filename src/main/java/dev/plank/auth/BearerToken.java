package dev.plank.auth;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.Locale;

/**
 * Finds a request's token: an {@code Authorization: Bearer} header, else a {@code token} query
 * parameter (browsers cannot set headers on a WebSocket upgrade). Neither is ever logged.
 */
public final class BearerToken {
  public static final String QUERY_PARAMETER = "token";
  private static final String SCHEME = "bearer ";

  private BearerToken() {}

  /**
   * The token, or {@code null} when the request carries none.
   *
   * @throws TokenException for an {@code Authorization} header that is not a bearer token
   */
  public static String of(HttpServerRequest request) throws TokenException {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header != null) {
      if (header.length() <= SCHEME.length()
          || !header.substring(0, SCHEME.length()).toLowerCase(Locale.ROOT).equals(SCHEME)) {
        throw new TokenException("the Authorization header must be 'Bearer <token>'");
      }
      return header.substring(SCHEME.length()).strip();
    }
    String param = request.getParam(QUERY_PARAMETER);
    return param == null || param.isEmpty() ? null : param;
  }
}
