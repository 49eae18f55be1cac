import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import type { UserIdentifier } from '#lib/users/identifier.ts';
import { accountKey } from './account-cap.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';
import type { IdentifierHash } from './identifier-hash.ts';

/** An operator's hand on the throttles (the users CLI): what a lock or the cap held, forgotten. */
export interface Unlocker {
  /** Forgets an identifier's failures and lock, whether or not it belongs to anyone. */
  identifier(identifier: UserIdentifier): Promise<void>;
  /** Forgets the failures and locks of every identifier of an account, and its cap's count. */
  account(identifiers: readonly UserIdentifier[]): Promise<void>;
}

/**
 * Deletes the counters' items. Items are found by the identifiers' keyed hashes, so this needs
 * the identifier key, as the login does; device budgets are left alone (a device that used up
 * its budget got a new token at its next sign-in, or was a thief's).
 */
export const createUnlocker = (
  client: DynamoDBDocumentClient,
  tableName: string,
  identifierHash: IdentifierHash,
): Unlocker => {
  const remove = async (key: string) => {
    await client
      .send(new DeleteCommand({ TableName: tableName, Key: { [LOGIN_ATTEMPTS_TABLE.partitionKey]: key } }))
      .catch(toStoreError('Unlock failed'));
  };
  return {
    async identifier(identifier) {
      await remove(await identifierHash(identifier));
    },
    async account(identifiers) {
      const keys = await Promise.all(identifiers.map(identifierHash));
      await Promise.all(keys.flatMap((key) => [remove(key), remove(accountKey(key))]));
    },
  };
};
