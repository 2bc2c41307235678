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
 * @param tokenChecked whether the server token hash recorded with the snapshot was compared with
 *     this node's token (and matched); false when either was unknown. Neither hash leaves the
 *     node: a Job's result is readable by whoever may read Pods in the operator's namespace.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PreparedRestore(String path, String sha256, long size, boolean fetched,
    boolean tokenChecked) {}
