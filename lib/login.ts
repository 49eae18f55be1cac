import type { Logger } from '@aws-lambda-powertools/logger';
import { InvalidCredentialsError } from './errors.ts';
import type { LoginRequest } from './login-request.ts';
import type { PasswordVerifier } from './passwords.ts';
import type { TokenSigner } from './tokens.ts';
import { parseUserItem, type SafeUser, toSafeUser, type UserItem } from './user.ts';
import type { UserStore } from './user-store.ts';

export interface LoginDependencies {
  users: UserStore;
  passwords: PasswordVerifier;
  tokens: TokenSigner;
  logger: Pick<Logger, 'info' | 'error'>;
}

export interface LoginResult {
  token: string;
  user: SafeUser;
}

/** Why a login ended as it did, for logs and metrics; never shown to the client. */
export type LoginOutcome =
  | 'success'
  | 'unknown_identifier'
  | 'bad_password'
  | 'ambiguous_identifier'
  | 'invalid_user_record';

type Lookup = { user: UserItem } | { user: undefined; outcome: LoginOutcome };

const selectUser = (items: Record<string, unknown>[]): Lookup => {
  if (items.length === 0) return { user: undefined, outcome: 'unknown_identifier' };
  if (items.length > 1) return { user: undefined, outcome: 'ambiguous_identifier' };
  const user = parseUserItem(items[0]);
  return user ? { user } : { user: undefined, outcome: 'invalid_user_record' };
};

/**
 * The login use case. Every credential failure (unknown identifier, wrong password, an
 * identifier matching several users, an unusable record, a password bcrypt would truncate)
 * costs one bcrypt compare and ends in the same InvalidCredentialsError.
 */
export const createLogin =
  ({ users, passwords, tokens, logger }: LoginDependencies) =>
  async ({ identifier, password }: LoginRequest): Promise<LoginResult> => {
    const [items] = await Promise.all([users.findByIdentifier(identifier), tokens.ready()]);
    const lookup = selectUser(items);
    const matches = await passwords.verify(password, lookup.user?.passwordHash);

    if (!lookup.user) {
      const details = { outcome: lookup.outcome, identifierKind: identifier.kind };
      // An unknown identifier is routine; several matches or a broken record is a data bug to fix.
      if (lookup.outcome === 'unknown_identifier') logger.info('Login failed', details);
      else logger.error('Login failed', details);
      throw new InvalidCredentialsError();
    }
    if (!matches) {
      logger.info('Login failed', { outcome: 'bad_password', userId: lookup.user.id });
      throw new InvalidCredentialsError();
    }

    const token = await tokens.sign(lookup.user.id);
    logger.info('Login succeeded', { outcome: 'success', userId: lookup.user.id });
    return { token, user: toSafeUser(lookup.user) };
  };
