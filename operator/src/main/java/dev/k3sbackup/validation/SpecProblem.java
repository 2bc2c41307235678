package dev.k3sbackup.validation;

/**
 * Why a spec cannot be acted on yet.
 *
 * @param reason CamelCase reason for the condition and the Event
 * @param message names the field and the fix
 */
public record SpecProblem(String reason, String message) {}
