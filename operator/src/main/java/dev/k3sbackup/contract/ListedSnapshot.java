package dev.k3sbackup.contract;

import java.time.Instant;

/**
 * One snapshot as {@code ls --brief} reports it to the operator (small enough that a whole dir
 * fits a Job's termination message).
 *
 * @param name the file name
 * @param size bytes stored
 * @param createdAt the time in its name
 */
public record ListedSnapshot(String name, long size, Instant createdAt) {}
