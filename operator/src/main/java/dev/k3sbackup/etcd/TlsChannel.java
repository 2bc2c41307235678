package dev.k3sbackup.etcd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * TLS over a connected socket, driven through an {@link SSLEngine} with direct buffers, exposed
 * as a blocking stream pair: BoringSSL's engine (netty-tcnative) when it loads, the JDK's
 * otherwise (see {@link EtcdTls#engine}). Ciphertext is read in large batches straight into a
 * direct buffer and decrypted into another; the only copy on the JVM heap is into the caller's
 * array. A read or write that waits longer than the timeout fails with
 * {@link SocketTimeoutException}.
 */
final class TlsChannel implements AutoCloseable {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
  /** Ciphertext read per system call, at most. */
  private static final int NET_BUFFER = 1024 * 1024;

  private final SocketChannel channel;
  private final SSLEngine engine;
  private final Selector selector;
  private final long timeoutMillis;
  /**
   * Ciphertext received, not yet decrypted; kept in read mode (position at the first byte not
   * yet decrypted, limit at the end of what was read). It is compacted only when no room is left
   * behind the data: compacting after every unwrap moved the unread rest of the MiB each time
   * (1.6 of a 1 GiB save's 7 CPU-seconds went to those copies, profiled with perf).
   */
  private final ByteBuffer netIn;
  /** The largest TLS record, encrypted: the room kept behind {@link #netIn}'s data to read into. */
  private final int packetSize;
  /** Ciphertext to send; kept in write mode. */
  private final ByteBuffer netOut;
  /** Plaintext decrypted, not yet read; kept in read mode. */
  private ByteBuffer appIn;
  private boolean closedByPeer;

  private TlsChannel(SocketChannel channel, SSLEngine engine, long timeoutMillis)
      throws IOException {
    this.channel = channel;
    this.engine = engine;
    this.timeoutMillis = timeoutMillis;
    int packet = engine.getSession().getPacketBufferSize();
    this.packetSize = packet;
    this.netIn = ByteBuffer.allocateDirect(Math.max(NET_BUFFER, packet)).limit(0);
    this.netOut = ByteBuffer.allocateDirect(Math.max(64 * 1024, packet));
    this.appIn = ByteBuffer.allocateDirect(Math.max(NET_BUFFER,
        engine.getSession().getApplicationBufferSize())).limit(0);
    channel.configureBlocking(false);
    this.selector = Selector.open();
    channel.register(selector, SelectionKey.OP_READ);
  }

  /** Completes the handshake on {@code channel} (connected) as a client. */
  static TlsChannel handshake(SocketChannel channel, SSLEngine engine, long timeoutMillis)
      throws IOException {
    TlsChannel tls = new TlsChannel(channel, engine, timeoutMillis);
    try {
      tls.handshake();
      return tls;
    } catch (IOException | RuntimeException e) {
      tls.close();
      throw e;
    }
  }

  private void handshake() throws IOException {
    engine.setUseClientMode(true);
    engine.beginHandshake();
    while (true) {
      switch (engine.getHandshakeStatus()) {
        case NEED_WRAP -> wrap(EMPTY);
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          if (!unwrapSome()) {
            throw new EOFException("the peer closed the connection during the TLS handshake");
          }
        }
        case NEED_TASK -> runTasks();
        case FINISHED, NOT_HANDSHAKING -> {
          return;
        }
        default -> throw new SSLException("unexpected handshake state "
            + engine.getHandshakeStatus());
      }
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }

  /**
   * Decrypts what has arrived, reading from the socket until at least one step of progress is
   * made (plaintext, or a handshake message consumed); false at the end of the stream.
   */
  private boolean unwrapSome() throws IOException {
    while (true) {
      appIn.compact();
      SSLEngineResult r;
      try {
        r = engine.unwrap(netIn, appIn);
      } finally {
        appIn.flip();
      }
      switch (r.getStatus()) {
        case OK -> {
          if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks();
          }
          if (r.bytesProduced() > 0 || r.bytesConsumed() > 0) {
            return true;
          }
        }
        case BUFFER_UNDERFLOW -> {
          if (!readNet()) {
            return false;
          }
        }
        case BUFFER_OVERFLOW -> {
          if (appIn.hasRemaining()) {
            return true; // read what is there first
          }
          ByteBuffer bigger = ByteBuffer.allocateDirect(appIn.capacity() * 2);
          appIn = bigger.limit(0);
        }
        case CLOSED -> {
          closedByPeer = true;
          return false;
        }
        default -> throw new SSLException("unexpected TLS state " + r.getStatus());
      }
    }
  }

  /** Reads ciphertext behind what is there; false at the end of the stream. */
  private boolean readNet() throws IOException {
    if (!netIn.hasRemaining()) {
      netIn.position(0).limit(0); // all decrypted: start at the front again, nothing to move
    } else if (netIn.capacity() - netIn.limit() < packetSize) {
      if (netIn.position() == 0) {
        throw new SSLException("a TLS record larger than " + netIn.capacity() + " bytes");
      }
      netIn.compact().flip(); // the unread part of one record, to the front
    }
    int start = netIn.position();
    netIn.position(netIn.limit()).limit(netIn.capacity());
    try {
      int n = channel.read(netIn);
      while (n == 0) {
        await(SelectionKey.OP_READ);
        n = channel.read(netIn);
      }
      return n > 0;
    } finally {
      netIn.limit(netIn.position()).position(start);
    }
  }

  private void await(int op) throws IOException {
    SelectionKey key = channel.keyFor(selector);
    key.interestOps(op);
    if (selector.select(timeoutMillis) == 0) {
      throw new SocketTimeoutException("no data for " + timeoutMillis + " ms");
    }
    selector.selectedKeys().clear();
  }

  /** Encrypts {@code src} (all of it) and sends it. */
  private void wrap(ByteBuffer src) throws IOException {
    do {
      SSLEngineResult r = engine.wrap(src, netOut);
      switch (r.getStatus()) {
        case OK -> {
          if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks();
          }
        }
        case BUFFER_OVERFLOW -> {
          if (netOut.position() == 0) {
            throw new SSLException("a TLS record larger than " + netOut.capacity() + " bytes");
          }
        }
        case CLOSED -> throw new EOFException("the TLS connection is closed");
        default -> throw new SSLException("unexpected TLS state " + r.getStatus());
      }
      flushNet();
    } while (src.hasRemaining());
  }

  private void flushNet() throws IOException {
    netOut.flip();
    try {
      while (netOut.hasRemaining()) {
        if (channel.write(netOut) == 0) {
          await(SelectionKey.OP_WRITE);
        }
      }
    } finally {
      netOut.compact();
    }
  }

  /** The plaintext stream from the peer, buffered (reads are served from the decrypted data). */
  abstract static class Input extends InputStream {}

  /** The plaintext stream from the peer. */
  InputStream input() {
    return new Input() {
      /** One byte at a time: how the HTTP/2 frame headers are read, ten per frame. */
      @Override
      public int read() throws IOException {
        return fill() ? appIn.get() & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        if (!fill()) {
          return -1;
        }
        int n = Math.min(len, appIn.remaining());
        appIn.get(b, off, n);
        return n;
      }

      /** Decrypts more when nothing is left; false at the end of the stream. */
      private boolean fill() throws IOException {
        while (!appIn.hasRemaining()) {
          if (closedByPeer || !unwrapSome()) {
            return false;
          }
          if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
            wrap(EMPTY); // TLS 1.3 key update and the like
          }
        }
        return true;
      }

      @Override
      public int available() {
        return appIn.remaining();
      }
    };
  }

  /** The plaintext stream to the peer; every write is sent at once (buffer above it). */
  OutputStream output() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        wrap(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  @Override
  public void close() {
    try {
      engine.closeOutbound();
    } catch (RuntimeException ignored) {
      // closing anyway
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    if (engine instanceof io.netty.util.ReferenceCounted counted) {
      counted.release();
    }
  }
}
