package dev.k3sbackup.e2e;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a {@link NeedsRealK3s} class where a real K3s can be had, and otherwise skips it with one
 * line on stdout (once per reason, however many classes skip for it), so that a build without
 * Docker says plainly that the end-to-end tests did not run, and why.
 */
public final class RealK3sCondition implements ExecutionCondition {

  /** {@code -De2e.kubeconfig=PATH}: run against that cluster instead of a container. */
  public static final String KUBECONFIG = "e2e.kubeconfig";
  private static final Set<String> SAID = ConcurrentHashMap.newKeySet();
  private static volatile Boolean docker;

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    var needs = context.getTestClass()
        .flatMap(c -> AnnotationSupport.findAnnotation(c, NeedsRealK3s.class));
    if (needs.isEmpty() || context.getTestMethod().isPresent()) {
      return ConditionEvaluationResult.enabled("decided for the class");
    }
    String kubeconfig = System.getProperty(KUBECONFIG, "");
    if (!kubeconfig.isBlank() && !needs.get().dockerOnly()) {
      return ConditionEvaluationResult.enabled("against the cluster of " + kubeconfig);
    }
    if (dockerAnswers()) {
      return ConditionEvaluationResult.enabled("on K3s in Docker (Testcontainers)");
    }
    String reason = kubeconfig.isBlank()
        ? "e2e tests skipped: no Docker engine answers (Testcontainers found none) and "
            + "-De2e.kubeconfig=PATH names no cluster; see README, End-to-end tests"
        : context.getRequiredTestClass().getSimpleName() + " skipped: it reads files out of "
            + "the K3s container, and no Docker engine answers";
    if (SAID.add(reason)) {
      System.out.println(reason);
    }
    return ConditionEvaluationResult.disabled(reason);
  }

  private static boolean dockerAnswers() {
    Boolean d = docker;
    if (d == null) {
      d = DockerClientFactory.instance().isDockerAvailable();
      docker = d;
    }
    return d;
  }
}
