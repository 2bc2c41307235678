package dev.k3sbackup.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Samples read from Prometheus's text exposition format, as a scraper sees them. */
public final class PrometheusText {

  /** One sample: a metric name, its labels and its value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE = Pattern.compile(
      "^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\d+)?$");
  private static final Pattern LABEL = Pattern.compile(
      "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = samples;
  }

  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
      }
      samples.add(new Sample(m.group(1), labels, value(m.group(3))));
    }
    return new PrometheusText(samples);
  }

  /** A sample's value: a Go or Java float, or Prometheus's {@code +Inf}, {@code -Inf}, {@code NaN}. */
  private static double value(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }

  /** GETs {@code http://127.0.0.1:port/metrics} and parses it. */
  public static PrometheusText scrape(int port) throws IOException, InterruptedException {
    return parse(get(port, "/metrics").body());
  }

  public static HttpResponse<String> get(int port, String path)
      throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  public List<Sample> samples() {
    return samples;
  }

  /** Every metric name present. */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    samples.forEach(s -> names.add(s.name()));
    return names;
  }

  /** The value of the sample named {@code name} whose labels include {@code labels}. */
  public Optional<Double> value(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name))
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
        .map(Sample::value).findFirst();
  }

  /** The sum over the samples named {@code name} whose labels include {@code labels}. */
  public double sum(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name))
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value).sum();
  }
}
