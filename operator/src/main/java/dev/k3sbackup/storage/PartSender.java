package dev.k3sbackup.storage;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends UploadPart requests that minio built and signed ({@link SigningS3Client}) over plain
 * HTTP/1.1 keep-alive connections of its own, each part's body straight from the snapshot file
 * to the socket ({@link FileChannel#transferTo}, the kernel's sendfile): no byte of a part is
 * copied through the Java heap. Through OkHttp the same part cost about 3 CPU-seconds per GiB on
 * top of the save (okio's copies into its 8 KiB segments and the JIT compiling OkHttp's call
 * path), more than etcd's own stream; this way it costs what the kernel spends on the socket.
 * Only for {@code http} endpoints; over https minio sends the parts itself.
 */
final class PartSender implements AutoCloseable {

  private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");
  private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");

  /** A part the server refused; {@code code} is S3's error code when it sent one. */
  static final class RefusedException extends IOException {
    final int status;
    final String code;

    RefusedException(int status, String code, String message) {
      super("S3 answered HTTP " + status + (code == null ? "" : " " + code)
          + (message == null ? "" : ": " + message));
      this.status = status;
      this.code = code;
    }
  }

  private final int timeoutMillis;
  private final Deque<Connection> idle = new ArrayDeque<>();

  PartSender(Duration timeout) {
    this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
  }

  /**
   * Sends {@code request} (a signed PUT with an unsigned payload) with {@code length} bytes of
   * {@code file} from {@code offset} as its body; returns the part's ETag. Thread-safe: each call
   * takes a connection of its own.
   */
  String send(okhttp3.Request request, FileChannel file, long offset, long length)
      throws IOException {
    Connection c = take(request.url());
    boolean reusable = false;
    try {
      String etag = c.put(request, file, offset, length);
      reusable = c.keepAlive;
      return etag;
    } finally {
      if (reusable) {
        synchronized (idle) {
          idle.push(c);
        }
      } else {
        c.close();
      }
    }
  }

  private Connection take(okhttp3.HttpUrl url) throws IOException {
    synchronized (idle) {
      for (var it = idle.iterator(); it.hasNext(); ) {
        Connection c = it.next();
        if (c.host.equals(url.host()) && c.port == url.port()) {
          it.remove();
          return c;
        }
      }
    }
    return new Connection(url.host(), url.port(), timeoutMillis);
  }

  @Override
  public void close() {
    synchronized (idle) {
      idle.forEach(Connection::close);
      idle.clear();
    }
  }

  private static final class Connection implements AutoCloseable {
    final String host;
    final int port;
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    boolean keepAlive;

    Connection(String host, int port, int timeoutMillis) throws IOException {
      this.host = host;
      this.port = port;
      this.channel = SocketChannel.open();
      try {
        channel.socket().setTcpNoDelay(true);
        channel.socket().setSendBufferSize(4 * 1024 * 1024);
        channel.socket().connect(new InetSocketAddress(host, port), timeoutMillis);
        channel.socket().setSoTimeout(timeoutMillis);
        this.in = new BufferedInputStream(channel.socket().getInputStream(), 16 * 1024);
        this.out = channel.socket().getOutputStream();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }

    String put(okhttp3.Request request, FileChannel file, long offset, long length)
        throws IOException {
      StringBuilder head = new StringBuilder(1024);
      okhttp3.HttpUrl url = request.url();
      head.append(request.method()).append(' ').append(url.encodedPath());
      if (url.encodedQuery() != null) {
        head.append('?').append(url.encodedQuery());
      }
      head.append(" HTTP/1.1\r\n");
      boolean hasLength = false;
      okhttp3.Headers headers = request.headers();
      for (int i = 0; i < headers.size(); i++) {
        hasLength |= headers.name(i).equalsIgnoreCase("Content-Length");
        head.append(headers.name(i)).append(": ").append(headers.value(i)).append("\r\n");
      }
      if (!hasLength) {
        head.append("Content-Length: ").append(length).append("\r\n");
      }
      head.append("\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      long sent = 0;
      while (sent < length) {
        long n = file.transferTo(offset + sent, length - sent, channel);
        if (n <= 0) {
          throw new EOFException("the snapshot file ended " + (length - sent)
              + " bytes before the part did");
        }
        sent += n;
      }
      return response();
    }

    /** Reads the answer; the ETag on success, else the S3 error as an exception. */
    private String response() throws IOException {
      String status = line();
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("S3 answered something that is not HTTP/1.1: " + status);
      }
      int code = Integer.parseInt(parts[1]);
      long contentLength = -1;
      boolean chunked = false;
      String etag = null;
      keepAlive = parts[0].equals("HTTP/1.1");
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> contentLength = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          case "etag" -> etag = value.replace("\"", "");
          case "connection" -> keepAlive &= !value.equalsIgnoreCase("close");
          default -> { }
        }
      }
      String body = chunked ? chunkedBody() : contentLength >= 0 ? body(contentLength)
          : untilClose();
      if (code / 100 != 2) {
        keepAlive = false;
        Matcher c = CODE.matcher(body);
        Matcher m = MESSAGE.matcher(body);
        throw new RefusedException(code, c.find() ? c.group(1) : null,
            m.find() ? m.group(1) : null);
      }
      if (etag == null) {
        throw new IOException("S3 accepted a part without an ETag");
      }
      return etag;
    }

    private String line() throws IOException {
      StringBuilder b = new StringBuilder(64);
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new EOFException("S3 closed the connection before answering");
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }

    private String body(long n) throws IOException {
      byte[] b = in.readNBytes((int) Math.min(n, 1 << 20));
      in.skipNBytes(n - b.length);
      return new String(b, StandardCharsets.UTF_8);
    }

    private String chunkedBody() throws IOException {
      StringBuilder b = new StringBuilder();
      while (true) {
        String size = line();
        int semi = size.indexOf(';');
        long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        if (n == 0) {
          while (!line().isEmpty()) {
            // trailers
          }
          return b.toString();
        }
        b.append(body(n));
        line();
      }
    }

    private String untilClose() throws IOException {
      keepAlive = false;
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }
}
