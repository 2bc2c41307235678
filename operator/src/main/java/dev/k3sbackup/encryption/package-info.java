/**
 * Client-side encryption of snapshots in the age format (age-encryption.org/v1) with X25519
 * recipients, through the jagged library: the snapshot is encrypted while it streams, and
 * Debian's {@code age} tool decrypts it without our code.
 */
package dev.k3sbackup.encryption;
