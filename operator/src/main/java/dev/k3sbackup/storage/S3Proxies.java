package dev.k3sbackup.storage;

import dev.k3sbackup.base.SnapshotException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * Which HTTP proxy S3 requests take, as K3s decides it ({@code --etcd-s3-proxy}): a URL is that
 * proxy, {@code none} is none, and nothing given follows the environment as Go's
 * {@code http.ProxyFromEnvironment} does ({@code HTTPS_PROXY} for https endpoints,
 * {@code HTTP_PROXY} for plain http, either in lower case too, skipped for hosts that
 * {@code NO_PROXY} names).
 */
final class S3Proxies {

  private S3Proxies() {}

  /** The proxy for {@code config}'s endpoint, or null to connect directly. */
  static Proxy choose(S3Config config, Map<String, String> env) {
    String setting = config.proxy();
    if ("none".equals(setting)) {
      return null;
    }
    if (setting == null) {
      URI endpoint = URI.create(S3SnapshotStore.endpointUrl(config));
      setting = fromEnvironment(endpoint.getScheme(), endpoint.getHost(), env);
      if (setting == null) {
        return null;
      }
    }
    URI proxy = URI.create(setting.contains("://") ? setting : "http://" + setting);
    if (proxy.getHost() == null) {
      throw SnapshotException.badInput("the S3 proxy '" + setting + "' names no host: give "
          + "--s3-proxy http://host:port, or none");
    }
    int port = proxy.getPort() > 0 ? proxy.getPort() : "https".equals(proxy.getScheme()) ? 443 : 80;
    return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxy.getHost(), port));
  }

  static String fromEnvironment(String scheme, String host, Map<String, String> env) {
    String noProxy = first(env, "NO_PROXY", "no_proxy");
    if (noProxy != null && excluded(host, noProxy)) {
      return null;
    }
    return "https".equals(scheme) ? first(env, "HTTPS_PROXY", "https_proxy")
        : first(env, "HTTP_PROXY", "http_proxy");
  }

  private static boolean excluded(String host, String noProxy) {
    String h = host.toLowerCase(Locale.ROOT);
    for (String entry : noProxy.split(",")) {
      String e = entry.strip().toLowerCase(Locale.ROOT);
      if (e.isEmpty()) {
        continue;
      }
      if (e.equals("*") || h.equals(e) || h.endsWith(e.startsWith(".") ? e : "." + e)) {
        return true;
      }
    }
    return false;
  }

  private static String first(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env.get(n);
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    return null;
  }
}
