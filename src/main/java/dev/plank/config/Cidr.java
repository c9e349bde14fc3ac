package dev.plank.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IP address range ({@code 10.0.0.0/8}, {@code fd00::/8}) or one address ({@code 192.0.2.7},
 * {@code ::1}). Immutable.
 */
public final class Cidr {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private final byte[] network;
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network.clone();
    this.prefix = prefix;
  }

  /** Parses {@code address} or {@code address/prefix}; null when it is neither. */
  public static Cidr parse(String text) {
    String value = text.strip();
    int slash = value.indexOf('/');
    InetAddress address = literal(slash < 0 ? value : value.substring(0, slash));
    if (address == null) return null;
    int bits = address.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String digits = value.substring(slash + 1);
      if (!digits.matches("\\d{1,3}")) return null;
      prefix = Integer.parseInt(digits);
      if (prefix > bits) return null;
    }
    return new Cidr(address.getAddress(), prefix);
  }

  /** Whether {@code address} lies in this range (an IPv4 range never holds an IPv6 address). */
  public boolean contains(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (bytes.length != network.length) return false;
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (bytes[i] != network[i]) return false;
    }
    int rest = prefix % 8;
    if (rest == 0) return true;
    int mask = 0xff << (8 - rest);
    return (bytes[full] & mask) == (network[full] & mask);
  }

  /**
   * An IP address written as a literal, or null. Never asks DNS: the text may come from a client,
   * and only literals reach {@link InetAddress#getByName}, which then parses without a lookup.
   * IPv4-mapped IPv6 addresses come back as IPv4.
   */
  public static InetAddress literal(String text) {
    boolean v4 = IPV4.matcher(text).matches();
    if (!v4 && !IPV6.matcher(text).matches()) return null;
    if (v4) {
      for (String part : text.split("\\.", -1)) {
        if (Integer.parseInt(part) > 255) return null;
      }
    }
    try {
      InetAddress address = InetAddress.getByName(text);
      return v4 && !(address instanceof Inet4Address) ? null : address;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(network) + prefix;
  }
}
