import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Benchmark helper (not part of the product): fills an etcd with about N MiB of incompressible
 * values. Run with the product jar on the class path:
 * java -cp operator/target/k3s-etcd-backup.jar operator/bench/EtcdFill.java ENDPOINT MIB
 */
public class EtcdFill {
  public static void main(String[] args) throws Exception {
    String endpoint = args[0];
    long mib = Long.parseLong(args[1]);
    int valueSize = 256 * 1024;
    long keys = mib * 1024 * 1024 / valueSize;
    Random random = new Random(42);
    Semaphore inFlight = new Semaphore(16);
    try (Client client = Client.builder().endpoints(endpoint).build()) {
      for (long i = 0; i < keys; i++) {
        byte[] value = new byte[valueSize];
        random.nextBytes(value);
        inFlight.acquire();
        CompletableFuture<?> put = client.getKVClient().put(
            ByteSequence.from(String.format("/registry/bench/%08d", i).getBytes()),
            ByteSequence.from(value));
        put.whenComplete((r, e) -> {
          if (e != null) {
            e.printStackTrace();
            System.exit(1);
          }
          inFlight.release();
        });
      }
      inFlight.acquire(16);
    }
    System.out.println("wrote " + keys + " keys of " + valueSize + " bytes");
  }
}
