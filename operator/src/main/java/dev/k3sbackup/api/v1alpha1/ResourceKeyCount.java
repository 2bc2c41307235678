package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How many keys of one resource type a drill read back. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourceKeyCount {

  @JsonPropertyDescription("The resource type, from the key: /registry/configmaps/... is "
      + "configmaps, /registry/<group>/<resource>/... is <resource>.<group>.")
  public String resource;

  @JsonPropertyDescription("Keys of that type.")
  public Long count;

  public ResourceKeyCount() {}

  public ResourceKeyCount(String resource, long count) {
    this.resource = resource;
    this.count = count;
  }
}
