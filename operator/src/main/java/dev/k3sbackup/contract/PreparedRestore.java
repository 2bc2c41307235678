package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What {@code prepare-restore} found on the node that will reset: the snapshot is there (fetched
 * from S3 if it was only there) and verifies.
 *
 * @param path the snapshot file on the node
 * @param sha256 its sha256
 * @param size its size
 * @param fetched whether it was fetched from S3 just now
 * @param tokenHash the node's server token hash, when its token was readable
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PreparedRestore(String path, String sha256, long size, boolean fetched,
    String tokenHash) {}
