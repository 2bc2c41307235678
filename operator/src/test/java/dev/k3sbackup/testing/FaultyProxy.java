package dev.k3sbackup.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy that forwards to a real server and cuts any connection whose client bytes
 * contain a marker (for example {@code partNumber=2}): a network failure in the middle of an
 * upload, while every other request (such as the abort) still gets through.
 */
public final class FaultyProxy implements AutoCloseable {

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger cuts = new AtomicInteger();
  private volatile String marker;
  private volatile boolean down;

  public FaultyProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "faulty-proxy");
    accept.setDaemon(true);
    accept.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** From now on, cut connections whose requests contain {@code text}. */
  public void cutWhenSeen(String text) {
    this.marker = text;
  }

  /**
   * Stops answering, as a server that went away: open connections are cut and new ones are
   * closed at once, until {@link #up()}.
   */
  public void down() {
    down = true;
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing is all we want
      }
    }
    sockets.clear();
  }

  /** Answers again. */
  public void up() {
    down = false;
  }

  /** How many connections were cut. */
  public int cuts() {
    return cuts.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (down) {
          client.close();
          continue;
        }
        Socket upstream = new Socket(target.getAddress(), target.getPort());
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, boolean watch) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      String window = "";
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          String m = marker;
          if (watch && m != null) {
            String seen = window + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
            if (seen.contains(m)) {
              cuts.incrementAndGet();
              from.close();
              to.close();
              return;
            }
            window = seen.substring(Math.max(0, seen.length() - m.length()));
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ignored) {
        // a closed side ends the pump
      } finally {
        try {
          to.shutdownOutput();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }, "faulty-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
