package dev.k3sbackup.etcd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A single HTTP/2 connection carrying gRPC calls to one etcd member, read on the calling thread.
 *
 * <p>Why not jetcd here: streaming a snapshot through jetcd's Vert.x/gRPC/Netty stack made a
 * CLI run compile over three thousand methods (about 3 s of JIT on 2 cores) and made the save
 * CPU-bound, slower than {@code etcdctl}. This client does only what a snapshot needs (the
 * connection preface, settings, flow control, one stream at a time, gRPC message framing) and
 * hands each chunk's bytes to the caller without copying them again. HPACK header coding is
 * Netty's; TLS is BoringSSL's when it loads ({@link TlsChannel}, {@link EtcdTls#engines}).
 */
final class GrpcConnection implements AutoCloseable {

  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int DATA = 0;
  private static final int HEADERS = 1;
  private static final int RST_STREAM = 3;
  private static final int SETTINGS = 4;
  private static final int PING = 6;
  private static final int GOAWAY = 7;
  private static final int WINDOW_UPDATE = 8;
  private static final int CONTINUATION = 9;
  private static final int END_STREAM = 0x1;
  private static final int ACK = 0x1;
  private static final int END_HEADERS = 0x4;
  private static final int PADDED = 0x8;
  private static final int PRIORITY = 0x20;
  /** Receive window: how far etcd may run ahead of what we have written. */
  private static final int WINDOW = 16 * 1024 * 1024;
  private static final int MAX_MESSAGE = 64 * 1024 * 1024;

  private final AutoCloseable transport;
  private final DataInputStream in;
  private final OutputStream out;
  private final String scheme;
  private final String authority;
  private final DefaultHttp2HeadersDecoder hpackIn = new DefaultHttp2HeadersDecoder(false);
  private final DefaultHttp2HeadersEncoder hpackOut = new DefaultHttp2HeadersEncoder();
  private int nextStreamId = 1;
  private byte[] message = new byte[64 * 1024];

  /** Receives each gRPC message of a call; {@code buf} is reused after the call returns. */
  interface MessageHandler {
    void message(byte[] buf, int length) throws IOException;
  }

  /** A call that ended with a gRPC status other than OK. */
  static final class GrpcStatusException extends IOException {
    final int status;

    GrpcStatusException(int status, String message) {
      super("gRPC status " + status + ": " + message);
      this.status = status;
    }
  }

  private GrpcConnection(InputStream rawIn, OutputStream rawOut, AutoCloseable transport,
      String scheme, String authority) {
    this.transport = transport;
    this.scheme = scheme;
    this.authority = authority;
    // TlsChannel's input is buffered already (its decrypted MiB): read from it directly
    this.in = new DataInputStream(rawIn instanceof TlsChannel.Input ? rawIn
        : new BufferedInputStream(rawIn, 256 * 1024));
    this.out = new BufferedOutputStream(rawOut, 16 * 1024);
  }

  /**
   * Connects (TLS with ALPN h2 when {@code tls} is given, through {@link TlsChannel}) and sends
   * the HTTP/2 preface.
   */
  static GrpcConnection open(String host, int port, EtcdTls.Engines tls, Duration timeout)
      throws IOException {
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    GrpcConnection c;
    if (tls == null) {
      Socket socket = new Socket();
      try {
        socket.setTcpNoDelay(true);
        socket.setReceiveBufferSize(4 * 1024 * 1024);
        socket.connect(new InetSocketAddress(host, port), millis);
        socket.setSoTimeout(millis);
        c = new GrpcConnection(socket.getInputStream(), socket.getOutputStream(), socket, "http",
            host + ":" + port);
      } catch (IOException | RuntimeException e) {
        socket.close();
        throw e;
      }
    } else {
      SocketChannel channel = SocketChannel.open();
      try {
        channel.socket().setTcpNoDelay(true);
        channel.socket().setReceiveBufferSize(4 * 1024 * 1024);
        channel.socket().connect(new InetSocketAddress(host, port), millis);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      TlsChannel session = TlsChannel.handshake(channel, tls.client(host, port), millis);
      c = new GrpcConnection(session.input(), session.output(), session, "https",
          host + ":" + port);
    }
    try {
      c.start();
      c.awaitServerSettings();
    } catch (IOException e) {
      c.close();
      if (tls != null && !(e instanceof javax.net.ssl.SSLException)) {
        // TLS 1.3 finishes the client's handshake before the server checks its certificate.
        throw new javax.net.ssl.SSLException("etcd closed the connection right after the TLS "
            + "handshake (" + e.getMessage() + "): it most likely rejected the client "
            + "certificate", e);
      }
      throw e;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void start() throws IOException {
    out.write(PREFACE);
    ByteArrayOutputStream settings = new ByteArrayOutputStream();
    setting(settings, 0x2, 0); // ENABLE_PUSH off
    setting(settings, 0x4, WINDOW); // INITIAL_WINDOW_SIZE
    setting(settings, 0x5, 1 << 20); // MAX_FRAME_SIZE
    frame(SETTINGS, 0, 0, settings.toByteArray());
    windowUpdate(0, WINDOW - 65_535); // the connection window starts at 64 KiB
    out.flush();
  }

  /** The server speaks first with its SETTINGS; anything else is not an HTTP/2 gRPC server. */
  private void awaitServerSettings() throws IOException {
    int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
    int type = in.readUnsignedByte();
    int flags = in.readUnsignedByte();
    in.readInt();
    if (type != SETTINGS || (flags & ACK) != 0) {
      throw new IOException("the endpoint does not speak HTTP/2 (gRPC): is it etcd's client URL?");
    }
    in.skipNBytes(length);
    frame(SETTINGS, ACK, 0, new byte[0]);
    out.flush();
  }

  private static void setting(ByteArrayOutputStream b, int id, int value) {
    b.write(id >>> 8);
    b.write(id);
    b.write(value >>> 24);
    b.write(value >>> 16);
    b.write(value >>> 8);
    b.write(value);
  }

  /**
   * Makes one call: sends {@code request} (an encoded protobuf message) to {@code path} and hands
   * every response message to {@code handler}, until etcd ends the stream.
   */
  void call(String path, byte[] request, MessageHandler handler) throws IOException {
    int stream = nextStreamId;
    nextStreamId += 2;
    Http2Headers headers = new DefaultHttp2Headers()
        .method("POST").scheme(scheme).path(path).authority(authority)
        .add("content-type", "application/grpc").add("te", "trailers")
        .add("user-agent", "k3s-etcd-backup");
    ByteBuf block = Unpooled.buffer();
    try {
      hpackOut.encodeHeaders(stream, headers, block);
      frame(HEADERS, END_HEADERS, stream, ByteBufUtil.getBytes(block));
    } catch (Http2Exception e) {
      throw new IOException("cannot encode request headers", e);
    } finally {
      block.release();
    }
    byte[] body = new byte[5 + request.length];
    body[1] = (byte) (request.length >>> 24);
    body[2] = (byte) (request.length >>> 16);
    body[3] = (byte) (request.length >>> 8);
    body[4] = (byte) request.length;
    System.arraycopy(request, 0, body, 5, request.length);
    frame(DATA, END_STREAM, stream, body);
    out.flush();
    new Call(stream, handler).run();
  }

  /** Reads frames until the call's stream ends, answering the connection's own frames. */
  private final class Call {
    private final int stream;
    private final MessageHandler handler;
    private final byte[] prefix = new byte[5];
    private int prefixFilled;
    private int messageLength = -1;
    private int messageFilled;
    private long unacknowledged;
    private boolean responseHeadersSeen;
    private ByteArrayOutputStream headerBlock;
    private boolean headerBlockEndsStream;

    Call(int stream, MessageHandler handler) {
      this.stream = stream;
      this.handler = handler;
    }

    void run() throws IOException {
      while (true) {
        int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int id = in.readInt() & 0x7fffffff;
        if (type == DATA) {
          data(id, flags, length);
          if (id == stream && (flags & END_STREAM) != 0) {
            throw new IOException("etcd ended the stream without a gRPC status");
          }
          continue;
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        switch (type) {
          case HEADERS, CONTINUATION -> {
            if (headers(id, type, flags, payload)) {
              return;
            }
          }
          case SETTINGS -> {
            if ((flags & ACK) == 0) {
              frame(SETTINGS, ACK, 0, new byte[0]);
              out.flush();
            }
          }
          case PING -> {
            if ((flags & ACK) == 0) {
              frame(PING, ACK, 0, payload);
              out.flush();
            }
          }
          case RST_STREAM -> {
            if (id == stream) {
              throw new IOException("etcd reset the stream (HTTP/2 error " + intAt(payload, 0)
                  + ")");
            }
          }
          case GOAWAY -> {
            int last = intAt(payload, 0) & 0x7fffffff;
            String debug = new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8);
            throw new IOException("etcd closed the connection (HTTP/2 GOAWAY, error "
                + intAt(payload, 4) + (debug.isEmpty() ? "" : ": " + debug) + ")"
                + (last < stream ? " before answering" : ""));
          }
          default -> {
            // WINDOW_UPDATE and PRIORITY need no answer: we send only a few bytes
          }
        }
      }
    }

    /** Feeds a DATA frame's payload to the gRPC message framing, straight from the socket. */
    private void data(int id, int flags, int length) throws IOException {
      int pad = 0;
      if ((flags & PADDED) != 0) {
        pad = in.readUnsignedByte();
        length -= 1 + pad;
      }
      if (id != stream) {
        in.skipNBytes(length + pad);
        return;
      }
      int left = length;
      while (left > 0) {
        if (messageLength < 0) {
          int n = Math.min(5 - prefixFilled, left);
          in.readFully(prefix, prefixFilled, n);
          prefixFilled += n;
          left -= n;
          if (prefixFilled == 5) {
            startMessage();
          }
        } else {
          int n = Math.min(messageLength - messageFilled, left);
          in.readFully(message, messageFilled, n);
          messageFilled += n;
          left -= n;
        }
        if (messageLength >= 0 && messageFilled == messageLength) {
          handler.message(message, messageLength);
          messageLength = -1;
          prefixFilled = 0;
        }
      }
      in.skipNBytes(pad);
      acknowledge(length + pad + ((flags & PADDED) != 0 ? 1 : 0));
    }

    private void startMessage() throws IOException {
      if (prefix[0] != 0) {
        throw new IOException("etcd sent a compressed gRPC message, which was not asked for");
      }
      int n = intAt(prefix, 1);
      if (n < 0 || n > MAX_MESSAGE) {
        throw new IOException("etcd sent a gRPC message of " + n + " bytes");
      }
      if (n > message.length) {
        message = new byte[n];
      }
      messageLength = n;
      messageFilled = 0;
    }

    /** Gives the window back once half of it is consumed (written by the handler). */
    private void acknowledge(int bytes) throws IOException {
      unacknowledged += bytes;
      if (unacknowledged >= WINDOW / 2) {
        windowUpdate(0, (int) unacknowledged);
        windowUpdate(stream, (int) unacknowledged);
        out.flush();
        unacknowledged = 0;
      }
    }

    /** Collects a header block; true when it was the trailers that end the call. */
    private boolean headers(int id, int type, int flags, byte[] payload) throws IOException {
      int from = 0;
      int to = payload.length;
      if (type == HEADERS) {
        if ((flags & PADDED) != 0) {
          to -= payload[0] & 0xff;
          from = 1;
        }
        if ((flags & PRIORITY) != 0) {
          from += 5;
        }
        headerBlock = new ByteArrayOutputStream();
        headerBlockEndsStream = (flags & END_STREAM) != 0;
      }
      headerBlock.write(payload, from, to - from);
      if ((flags & END_HEADERS) == 0) {
        return false;
      }
      Http2Headers decoded;
      ByteBuf block = Unpooled.wrappedBuffer(headerBlock.toByteArray());
      try {
        decoded = hpackIn.decodeHeaders(id, block); // decoded for every stream: HPACK is stateful
      } catch (Http2Exception e) {
        throw new IOException("cannot decode etcd's response headers: " + e.getMessage(), e);
      } finally {
        block.release();
      }
      if (id != stream) {
        return false;
      }
      if (!responseHeadersSeen) {
        responseHeadersSeen = true;
        CharSequence status = decoded.status();
        if (status != null && !"200".contentEquals(status)) {
          throw new IOException("etcd answered HTTP " + status + " instead of gRPC");
        }
      }
      if (!headerBlockEndsStream) {
        return false;
      }
      CharSequence grpcStatus = decoded.get("grpc-status");
      if (grpcStatus == null) {
        throw new IOException("etcd ended the call without a gRPC status");
      }
      int code = Integer.parseInt(grpcStatus.toString());
      if (code != 0) {
        CharSequence msg = decoded.get("grpc-message");
        throw new GrpcStatusException(code, msg == null ? "(no message)"
            : URLDecoder.decode(msg.toString().replace("+", "%2B"), StandardCharsets.UTF_8));
      }
      if (messageLength >= 0 || prefixFilled > 0) {
        throw new IOException("etcd ended the call in the middle of a message");
      }
      return true;
    }
  }

  private void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    int n = payload.length;
    out.write(new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type,
        (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8),
        (byte) stream});
    out.write(payload);
  }

  private void windowUpdate(int stream, int increment) throws IOException {
    frame(WINDOW_UPDATE, 0, stream, new byte[] {(byte) (increment >>> 24),
        (byte) (increment >>> 16), (byte) (increment >>> 8), (byte) increment});
  }

  private static int intAt(byte[] b, int at) {
    return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8
        | (b[at + 3] & 0xff);
  }

  @Override
  public void close() {
    try {
      transport.close();
    } catch (Exception ignored) {
      // nothing left to release
    }
  }
}
