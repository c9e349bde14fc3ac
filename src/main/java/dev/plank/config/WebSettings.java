package dev.plank.config;

import java.util.List;

/** How the HTTP server faces browsers, proxies and the network: origins, hosts, headers, TLS. */
public record WebSettings() {
  /** Every variable this record reads. */
  public static final List<String> NAMES = List.of();

  static WebSettings load(Source s) {
    return new WebSettings();
  }
}
