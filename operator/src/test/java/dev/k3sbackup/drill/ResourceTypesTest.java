package dev.k3sbackup.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How a drill names the resource type of a key under /registry/, as kubectl names it. */
class ResourceTypesTest {

  @Test
  void builtInTypesAreTheFirstSegmentWithOrWithoutANamespace() {
    assertThat(ResourceTypes.typeOf("/registry/configmaps/default/cm")).isEqualTo("configmaps");
    assertThat(ResourceTypes.typeOf("/registry/namespaces/default")).isEqualTo("namespaces");
    assertThat(ResourceTypes.typeOf("/registry/minions/server-1")).isEqualTo("minions");
  }

  @Test
  void customResourcesAreNamedResourceDotGroup() {
    assertThat(ResourceTypes.typeOf("/registry/k3sbackup.dev/etcdsnapshots/ns/a"))
        .isEqualTo("etcdsnapshots.k3sbackup.dev");
    assertThat(ResourceTypes.typeOf("/registry/apiregistration.k8s.io/apiservices/v1.apps"))
        .isEqualTo("apiservices.apiregistration.k8s.io");
  }

  @Test
  void keysOutsideTheRegistryAreNotCounted() {
    ResourceTypes types = new ResourceTypes();
    for (String key : List.of("/registry/secrets/a/b", "/registry/secrets/a/c",
        "/registry/pods/a/p", "/bootstrap/abc", "/registry/")) {
      types.add(key);
    }
    assertThat(types.total()).isEqualTo(3);
    assertThat(types.types()).isEqualTo(2);
    assertThat(types.top(1)).extracting(c -> c.resource + " " + c.count)
        .containsExactly("secrets 2");
  }
}
