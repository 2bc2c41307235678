package dev.k3sbackup.etcd;

import java.util.List;

/**
 * One member of the etcd cluster, as {@code Cluster/MemberList} gives it: what a restore must
 * cover, since a member left out keeps the old cluster (and, with others, its quorum).
 *
 * @param id the member id (hex)
 * @param name its name (K3s: {@code <node name>-<8 hex>})
 * @param peerUrls where its peers reach it ({@code https://<node IP>:2380})
 * @param learner whether it is a learner (not voting)
 */
public record EtcdMemberInfo(String id, String name, List<String> peerUrls, boolean learner) {

  public EtcdMemberInfo {
    peerUrls = peerUrls == null ? List.of() : List.copyOf(peerUrls);
  }

  /** The node K3s named this member after: its name without the {@code -<8 hex>} suffix. */
  public String k3sNodeName() {
    return name == null ? null : name.replaceFirst("-[0-9a-f]{8}$", "");
  }

  /** The hosts of its peer URLs (node addresses). */
  public List<String> peerHosts() {
    return peerUrls.stream().map(u -> {
      try {
        String h = java.net.URI.create(u).getHost();
        return h == null ? "" : h.replaceAll("^\\[|\\]$", "");
      } catch (IllegalArgumentException e) {
        return "";
      }
    }).filter(h -> !h.isEmpty()).toList();
  }
}
