package dev.k3sbackup.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that needs a real K3s: one started in Docker through Testcontainers, or, unless
 * {@link #dockerOnly()}, the cluster of {@code -De2e.kubeconfig=PATH}. Without either it is
 * skipped, and one line says why ({@link RealK3sCondition}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RealK3sCondition.class)
public @interface NeedsRealK3s {

  /** Whether the test needs the container itself (it reads files out of it), not any K3s. */
  boolean dockerOnly() default false;
}
