package dev.k3sbackup.testing.realcluster;

import dev.k3sbackup.testing.Processes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small flat network for one test cluster: a bridge in this machine's network namespace
 * ({@code 10.213.N.1/24}) and, for each node and each Pod that is not on the host network, a
 * network namespace of its own joined to the bridge by a veth pair, with an address of the
 * subnet and a default route through the bridge. Nodes and Pods reach each other, the tests
 * (which stay in this namespace) reach them all, and what listens on {@code 127.0.0.1} inside a
 * node is that node's alone, as on a real host. Needs root and iproute2.
 */
public final class NodeNetwork implements AutoCloseable {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final int subnet;
  private final String bridge;
  private final List<String> namespaces = new ArrayList<>();
  private final Map<String, String> vethOf = new java.util.HashMap<>();
  private int nextNode = 10;
  private int nextPod = 100;

  private NodeNetwork(int subnet) {
    this.subnet = subnet;
    this.bridge = "k3sbr" + subnet;
  }

  /** Creates the bridge on a subnet no other cluster on this machine uses. */
  public static NodeNetwork create() {
    for (int tries = 0; tries < 50; tries++) {
      int subnet = 1 + RANDOM.nextInt(250);
      NodeNetwork net = new NodeNetwork(subnet);
      if (ip(List.of("link", "add", net.bridge, "type", "bridge")).exitCode() != 0) {
        continue; // another run's bridge
      }
      ipOrFail("addr", "add", net.gateway() + "/24", "dev", net.bridge);
      ipOrFail("link", "set", net.bridge, "up");
      return net;
    }
    throw new IllegalStateException("no free 10.213.N.0/24 subnet for a test cluster");
  }

  /** The bridge's own address: how nodes and Pods reach servers the tests run here (S3). */
  public String gateway() {
    return "10.213." + subnet + ".1";
  }

  /**
   * A network namespace for a node; returns its name and the node's address (its
   * InternalIP).
   */
  public Endpoint addNode(String name) {
    return attach("k3sn" + subnet + "-" + name, nextNode++);
  }

  /** A network namespace for one Pod that is not on the host network. */
  public Endpoint addPod(String podUid) {
    return attach("k3sp" + subnet + "-" + podUid, nextPod++);
  }

  /** Removes a Pod's namespace (its veth goes with it). */
  public void remove(Endpoint endpoint) {
    String veth;
    synchronized (this) {
      namespaces.remove(endpoint.namespace());
      veth = vethOf.remove(endpoint.namespace());
    }
    ip(List.of("netns", "del", endpoint.namespace()));
    if (veth != null) {
      // the pair goes with the namespace only once its last process has left it: not waited for
      ip(List.of("link", "del", veth));
    }
  }

  /** A network namespace on the bridge. */
  public record Endpoint(String namespace, String address) {
    /** {@code nsenter} arguments that run a command inside this namespace. */
    public List<String> enter() {
      return List.of("nsenter", "--net=/run/netns/" + namespace, "--");
    }
  }

  private synchronized Endpoint attach(String namespace, int host) {
    if (host > 250) {
      throw new IllegalStateException("the test subnet is full");
    }
    String address = "10.213." + subnet + "." + host;
    String outside = "k3sv" + subnet + "x" + host;
    // one left by a run that died on this subnet (ours is the only live bridge on it)
    ip(List.of("link", "del", outside));
    ip(List.of("netns", "del", namespace));
    ipOrFail("netns", "add", namespace);
    namespaces.add(namespace);
    vethOf.put(namespace, outside);
    ipOrFail("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", namespace);
    ipOrFail("link", "set", outside, "master", bridge);
    ipOrFail("link", "set", outside, "up");
    ipOrFail("-n", namespace, "link", "set", "lo", "up");
    ipOrFail("-n", namespace, "addr", "add", address + "/24", "dev", "eth0");
    ipOrFail("-n", namespace, "link", "set", "eth0", "up");
    ipOrFail("-n", namespace, "route", "add", "default", "via", gateway());
    return new Endpoint(namespace, address);
  }

  @Override
  public synchronized void close() {
    for (String ns : List.copyOf(namespaces)) {
      ip(List.of("netns", "del", ns));
      String veth = vethOf.remove(ns);
      if (veth != null) {
        ip(List.of("link", "del", veth));
      }
    }
    namespaces.clear();
    ip(List.of("link", "del", bridge));
  }

  private static Processes.Result ip(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(args);
    return Processes.run(cmd, Map.of(), null);
  }

  private static void ipOrFail(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    Processes.run(cmd, Map.of(), null).requireSuccess(cmd);
  }
}
