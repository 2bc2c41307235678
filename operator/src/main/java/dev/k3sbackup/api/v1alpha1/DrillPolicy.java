package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.k3sbackup.base.Age;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.time.Duration;

/** Which of a schedule's snapshots are restore-drilled, and how stale a drill may get. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DrillPolicy {

  public static final String DEFAULT_ALERT_AFTER = "7d";

  @JsonPropertyDescription("Drill every Nth successful snapshot (1: each one): restore it into "
      + "a throwaway etcd, start it and read it back.")
  @Default("1")
  @Min(1)
  @Max(1000)
  public Integer every;

  @JsonPropertyDescription("How long the schedule may go without a snapshot that passed a drill "
      + "before the k3s_etcd_backup_schedule_drill_max_age_seconds alert rule fires (weeks, "
      + "days, hours, minutes: 7d, 2w, 36h). Default 7d.")
  @Default(DEFAULT_ALERT_AFTER)
  @Pattern(Age.PATTERN)
  @Size(max = 32)
  @ValidationRule(value = "self.matches('[1-9]')", message = "alertAfter must be longer than 0, "
      + "such as 7d or 36h (weeks, days, hours, minutes)")
  public String alertAfter;

  public int everyOrDefault() {
    return every == null ? 1 : every;
  }

  /** {@link #alertAfter}, defaulted; refused naming the field when it is no age. */
  public Duration alertAfterOrDefault() {
    return Age.parse("spec.drill.alertAfter", alertAfter == null || alertAfter.isBlank()
        ? DEFAULT_ALERT_AFTER : alertAfter);
  }
}
