package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** One key of a Secret or a ConfigMap in the resource's namespace. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.secretName) != has(self.configMapName)",
    message = "give exactly one of secretName and configMapName")
public class KeyReference {

  @JsonPropertyDescription("Name of a Secret in the same namespace.")
  public String secretName;

  @JsonPropertyDescription("Name of a ConfigMap in the same namespace.")
  public String configMapName;

  @JsonPropertyDescription("The key holding the value.")
  @Required
  public String key;
}
