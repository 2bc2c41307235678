package dev.k3sbackup.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.exceptionfactory.jagged.x25519.X25519KeyPairGenerator;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.SnapshotEncryption;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

/** The spec check of {@code spec.encryption}: the recipients' Secret, its key, its keys. */
@EnableKubernetesMockClient(crud = true)
class EncryptionSpecCheckTest {

  static final String NS = "k3s-etcd-backup";

  KubernetesClient client;

  private SnapshotSpecCheck check() {
    return new SnapshotSpecCheck(client, AllowList.defaults());
  }

  private static EtcdSnapshotSpec encryptedTo(String secret, String key) {
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.encryption = new SnapshotEncryption();
    spec.encryption.recipientsSecret = secret;
    spec.encryption.recipientsKey = key;
    return spec;
  }

  private void secret(String name, String key, String value) {
    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata()
        .withName(name).endMetadata().addToStringData(key, value).build()).create();
  }

  @Test
  void acceptsX25519RecipientsAndRefusesAMissingSecretKeyOrKeysNamingTheField()
      throws Exception {
    String pub = new X25519KeyPairGenerator().generateKeyPair().getPublic().toString();
    secret("good", "recipients", "# admins\n" + pub + "\n");
    secret("other-key", "keys", pub);
    secret("not-age", "recipients", "ssh-ed25519 AAAAC3Nza admin@example");

    assertThat(check().check(encryptedTo("good", null), "spec", NS)).isEmpty();
    assertThat(check().check(encryptedTo("other-key", "keys"), "spec", NS)).isEmpty();

    var absent = check().check(encryptedTo("absent", null), "spec", NS).orElseThrow();
    assertThat(absent.reason()).isEqualTo("SecretNotFound");
    assertThat(absent.message()).contains("spec.encryption.recipientsSecret")
        .contains("kubectl create secret generic absent");
    var noKey = check().check(encryptedTo("other-key", null), "spec", NS).orElseThrow();
    assertThat(noKey.reason()).isEqualTo("SecretKeyNotFound");
    assertThat(noKey.message()).contains("has no key recipients")
        .contains("spec.encryption.recipientsKey");
    var notAge = check().check(encryptedTo("not-age", null), "spec.snapshotTemplate", NS)
        .orElseThrow();
    assertThat(notAge.reason()).isEqualTo("InvalidRecipients");
    assertThat(notAge.message()).contains("spec.snapshotTemplate.encryption.recipientsSecret")
        .contains("is not an age X25519 recipient");
  }
}
