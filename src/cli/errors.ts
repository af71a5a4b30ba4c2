/** A mistake in how the command was called: exit status 2, one line on stderr. */
export class UsageError extends Error {}
