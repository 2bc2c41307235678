package dev.k3sbackup.e2e;

import java.time.Duration;

/**
 * The kustomize overlay the e2e installs through: config/default as it ships, with only the
 * image (when another is named) and a short {@code RECHECK_INTERVAL}, so that the restore
 * journals are read back within seconds instead of the default five minutes.
 */
final class OperatorOverlay {

  static final String DEFAULT_IMAGE = "k3s-etcd-backup:0.1.0";
  static final Duration RECHECK = Duration.ofSeconds(20);

  private OperatorOverlay() {}

  /**
   * The overlay's kustomization.yaml.
   *
   * @param base the path of config/default relative to the overlay's directory (kustomize
   *     refuses absolute ones)
   * @param image the operator's image, which its node Jobs run too
   */
  static String kustomization(String base, String image) {
    int colon = image.lastIndexOf(':');
    return """
        # The e2e's install: config/default, its image, and a short recheck interval.
        resources:
          - %s
        images:
          - name: k3s-etcd-backup
            newName: %s
            newTag: "%s"
        patches:
          - patch: |-
              apiVersion: apps/v1
              kind: Deployment
              metadata:
                name: k3s-etcd-backup
              spec:
                template:
                  spec:
                    containers:
                      - name: operator
                        env:
                          - name: AGENT_IMAGE
                            value: %s
                          - name: RECHECK_INTERVAL
                            value: %ds
        """.formatted(base, image.substring(0, colon), image.substring(colon + 1), image,
        RECHECK.toSeconds());
  }
}
