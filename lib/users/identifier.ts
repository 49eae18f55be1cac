/** How a user is looked up: an email (normalized) or a username (exact). */
export type UserIdentifier = { kind: 'email'; email: string } | { kind: 'username'; username: string };

/** The form an email is stored and matched in (the email index's key): trimmed and lowercased. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** An identifier with `@` is an email, trimmed and lowercased; anything else is a username, as given. */
export const toIdentifier = (emailOrUsername: string): UserIdentifier =>
  emailOrUsername.includes('@')
    ? { kind: 'email', email: normalizeEmail(emailOrUsername) }
    : { kind: 'username', username: emailOrUsername };
