package dev.k3sbackup.testing.realcluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.testing.OciImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The images a node holds, as a container runtime would after an import: here the one OCI
 * tarball our build writes, unpacked once into a root file system that every container of the
 * image starts from (each through an overlay of its own). An image reference is matched the way
 * containerd matches it: {@code k3s-etcd-backup:0.1.0} is
 * {@code docker.io/library/k3s-etcd-backup:0.1.0}.
 */
public final class ImageStore {

  private final OciImage image;
  private final Path rootfs;
  private final Set<String> names = new HashSet<>();

  private ImageStore(OciImage image, Path rootfs) {
    this.image = image;
    this.rootfs = rootfs;
    for (JsonNode m : image.index().path("manifests")) {
      String ref = m.path("annotations").path("org.opencontainers.image.ref.name").asText("");
      if (!ref.isEmpty()) {
        names.add(normalize(ref));
      }
    }
  }

  /** Imports the OCI tarball {@code tarball}, unpacking it under {@code work}. */
  public static ImageStore load(Path tarball, Path work) {
    try {
      OciImage image = OciImage.open(tarball, work);
      Path rootfs = work.resolve("rootfs");
      image.unpack(rootfs);
      return new ImageStore(image, rootfs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The image {@code reference} names, or null when this node does not hold it. */
  public OciImage find(String reference) {
    return names.contains(normalize(reference)) ? image : null;
  }

  /** The unpacked root file system of the image. */
  public Path rootfs() {
    return rootfs;
  }

  /** The names this node knows the image by. */
  public Set<String> names() {
    return Set.copyOf(names);
  }

  /** {@code name[:tag]} completed as containerd does: docker.io, library/, :latest. */
  static String normalize(String reference) {
    String ref = reference;
    String first = ref.contains("/") ? ref.substring(0, ref.indexOf('/')) : "";
    boolean hasRegistry = first.contains(".") || first.contains(":") || first.equals("localhost");
    if (!hasRegistry) {
      ref = "docker.io/" + (ref.contains("/") ? ref : "library/" + ref);
    }
    String last = ref.substring(ref.lastIndexOf('/') + 1);
    if (!last.contains(":") && !last.contains("@")) {
      ref = ref + ":latest";
    }
    return ref;
  }
}
