import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { UserAdminError } from '#lib/errors.ts';
import { normalizeEmail, toIdentifier, type UserIdentifier } from './identifier.ts';
import type { PasswordChecker, PasswordContext } from './password-policy.ts';
import { hashPassword } from './passwords.ts';
import { createDynamoDbUserStore } from './store.ts';
import { guardItems } from './table.ts';
import {
  type NewUser,
  type NewUserItem,
  newUserItem,
  parseUserItem,
  type SafeUser,
  toSafeUser,
  type UserItem,
} from './user.ts';

/** A new user's profile as an operator gives it; the password comes separately, never in argv. */
export const NewUserInputSchema = v.object({
  email: v.pipe(
    v.string(),
    v.trim(),
    v.maxLength(254, 'email is too long'),
    v.email('email is not a valid email address'),
  ),
  username: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9._-]{3,32}$/, 'username must be 3 to 32 letters, digits, ".", "_" or "-"'),
  ),
  name: v.pipe(v.string(), v.trim(), v.nonEmpty('name is required'), v.maxLength(100, 'name is too long')),
  dateOfBirth: v.optional(v.pipe(v.string(), v.isoDate('date of birth must be a date like 1999-05-20'))),
});

export type NewUserInput = v.InferOutput<typeof NewUserInputSchema>;

const parseInput = (input: unknown): NewUserInput => {
  const result = v.safeParse(NewUserInputSchema, input, { abortPipeEarly: true });
  if (!result.success) throw new UserAdminError('invalid_input', result.issues[0].message);
  return result.output;
};

const reasons = (error: TransactionCanceledException) => (error.CancellationReasons ?? []).map((r) => r.Code);

export interface UserAdmin {
  /** Creates a user; email (any case) and username must be free. Resolves to the safe user. */
  create(input: unknown, password: string): Promise<SafeUser>;
  /** Replaces a user's password, only if nobody changed it since it was read, and ends every session. */
  setPassword(emailOrUsername: string, password: string): Promise<SafeUser>;
  /** The safe user for an email or username. */
  show(emailOrUsername: string): Promise<SafeUser>;
  /** The user's email and username, as logins present them (to unlock every identifier of an account). */
  identifiers(emailOrUsername: string): Promise<UserIdentifier[]>;
  /**
   * Disables a user: every sign-in fails as a wrong password does, and every session and device
   * token of the user ends, in one write (the session epoch moves on).
   */
  disable(emailOrUsername: string): Promise<SafeUser>;
  /** Lets a disabled user sign in again (their sessions and device tokens stay ended). */
  enable(emailOrUsername: string): Promise<SafeUser>;
  /** Deletes a user and the guards of their email and username: their sessions end with them. */
  remove(emailOrUsername: string): Promise<SafeUser>;
}

/** User administration on the users table, for the `npm run users` CLI and other tooling. */
export const createUserAdmin = (
  client: DynamoDBDocumentClient,
  usersTableName: string,
  bcryptCost: number,
  passwords: PasswordChecker,
  clock: Clock = systemClock,
): UserAdmin => {
  const store = createDynamoDbUserStore(client, usersTableName);

  /** One change to a user who must still exist. */
  const updateUser = async (
    id: string,
    expression: string,
    values: Record<string, unknown> | undefined,
    failure: string,
  ): Promise<void> => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: usersTableName,
          Key: { id },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new UserAdminError('not_found', 'the user is gone');
      toStoreError(failure)(error);
    }
  };

  /** The password policy, as everywhere a password is set (lib/users/password-policy.ts). */
  const validateNewPassword = async (password: string, account: PasswordContext): Promise<void> => {
    const verdict = await passwords.check(password, account);
    if (!verdict.ok) throw new UserAdminError('invalid_input', verdict.message);
  };
  /** The length rules alone, before any read. */
  const validateLength = (password: string): void => {
    const verdict = passwords.checkLength(password);
    if (!verdict.ok) throw new UserAdminError('invalid_input', verdict.message);
  };

  const find = async (emailOrUsername: string): Promise<UserItem> => {
    const lookup = await store.findByIdentifier(toIdentifier(emailOrUsername));
    if (lookup.found === 'several') {
      throw new UserAdminError('ambiguous', `${emailOrUsername} matches more than one user`);
    }
    if (lookup.found !== 'one') throw new UserAdminError('not_found', `no user ${emailOrUsername}`);
    return lookup.user;
  };

  /** Users written without guard items (by older tools) are still found by the indexes. */
  const assertFree = async (email: string, username: string): Promise<void> => {
    // Any item holds the value, a usable user or not.
    if ((await store.findByIdentifier({ kind: 'email', email: normalizeEmail(email) })).found !== 'none') {
      throw new UserAdminError('email_taken', 'that email is already registered');
    }
    if ((await store.findByIdentifier({ kind: 'username', username })).found !== 'none') {
      throw new UserAdminError('username_taken', 'that username is taken');
    }
  };

  const write = async (item: NewUserItem, attempt = 1): Promise<void> => {
    try {
      await client.send(
        new TransactWriteCommand({
          // The user, then its email guard, then its username guard: the order the reasons come back in.
          TransactItems: [item, ...guardItems(item)].map((Item) => ({
            Put: { TableName: usersTableName, Item, ConditionExpression: 'attribute_not_exists(id)' },
          })),
        }),
      );
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [user, email, username] = reasons(error);
      if (email === 'ConditionalCheckFailed')
        throw new UserAdminError('email_taken', 'that email is already registered');
      if (username === 'ConditionalCheckFailed') throw new UserAdminError('username_taken', 'that username is taken');
      // Another transaction on the same items was in flight: try again, and meet its result.
      if (reasons(error).includes('TransactionConflict') && attempt < 3) return write(item, attempt + 1);
      if (user === 'ConditionalCheckFailed')
        throw new UserAdminError('conflict', 'a user with that id exists; try again');
      throw new UserAdminError('conflict', 'the user could not be written; try again', { cause: error });
    }
  };

  return {
    async create(input, password) {
      const profile = parseInput(input);
      validateLength(password);
      await validateNewPassword(password, profile);
      await assertFree(profile.email, profile.username);
      const user: NewUser = { ...profile, passwordHash: await hashPassword(password, bcryptCost) };
      const item = newUserItem(user);
      await write(item);
      return toSafeUser(parseUserItem(item) as UserItem);
    },

    async setPassword(emailOrUsername, password) {
      validateLength(password);
      const user = await find(emailOrUsername);
      await validateNewPassword(password, user);
      const passwordHash = await hashPassword(password, bcryptCost);
      // The same write ends every session (the epoch moves on): whoever knew the old password is out.
      if (!(await store.replacePasswordHash(user.id, user.passwordHash, passwordHash, true))) {
        throw new UserAdminError('conflict', 'the user changed while the password was being set; try again');
      }
      return toSafeUser(user);
    },

    async show(emailOrUsername) {
      return toSafeUser(await find(emailOrUsername));
    },

    async identifiers(emailOrUsername) {
      const user = await find(emailOrUsername);
      return [
        { kind: 'email', email: user.emailLower },
        { kind: 'username', username: user.username },
      ];
    },

    async disable(emailOrUsername) {
      const user = await find(emailOrUsername);
      const now = clock();
      await updateUser(
        user.id,
        // The epoch moving on ends every session and device token of the user, in the same write.
        'SET disabledAt = :now ADD sessionEpoch :one',
        { ':now': now.toISOString(), ':one': 1 },
        'Disabling the user failed',
      );
      return toSafeUser(user);
    },

    async enable(emailOrUsername) {
      const user = await find(emailOrUsername);
      await updateUser(user.id, 'REMOVE disabledAt', undefined, 'Enabling the user failed');
      return toSafeUser(user);
    },

    async remove(emailOrUsername) {
      const user = await find(emailOrUsername);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: usersTableName,
                  Key: { id: user.id },
                  ConditionExpression: 'attribute_exists(id)',
                },
              },
              // A guard another user holds (written by an older tool) stays.
              ...guardItems(user).map(({ id }) => ({
                Delete: {
                  TableName: usersTableName,
                  Key: { id },
                  ConditionExpression: 'attribute_not_exists(id) OR userId = :user',
                  ExpressionAttributeValues: { ':user': user.id },
                },
              })),
            ],
          }),
        );
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        throw new UserAdminError('conflict', 'the user changed while being deleted; try again', { cause: error });
      }
      return toSafeUser(user);
    },
  };
};
