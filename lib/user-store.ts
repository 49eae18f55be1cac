import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AuthServiceError, ServiceUnavailableError } from './errors.ts';
import type { LoginIdentifier } from './login-request.ts';
import { USERS_TABLE } from './users-table.ts';

/** Finds the stored items that match a login identifier. */
export interface UserStore {
  /**
   * Returns the raw items (at most two: enough to tell "one" from "more than one").
   * Items are unvalidated; the caller decides what a usable user is.
   */
  findByIdentifier(identifier: LoginIdentifier): Promise<Record<string, unknown>[]>;
}

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
]);

/**
 * True for failures worth a retry by the client: throttling, DynamoDB's own 5xx, and
 * network or timeout errors (which carry no HTTP status). Anything else is our bug or
 * misconfiguration (a missing table, a denied action).
 */
const isTransient = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLING_ERRORS.has(error.name) || status === undefined || status >= 500;
};

/** The DynamoDB adapter: one `Query` on the email or username index, never a `Scan`. */
export const createDynamoDbUserStore = (client: DynamoDBDocumentClient, tableName: string): UserStore => ({
  async findByIdentifier(identifier) {
    const [index, value] =
      identifier.kind === 'email'
        ? [USERS_TABLE.indexes.email, identifier.email]
        : [USERS_TABLE.indexes.username, identifier.username];
    try {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#key = :value',
          ExpressionAttributeNames: { '#key': index.partitionKey },
          ExpressionAttributeValues: { ':value': value },
          Limit: 2,
        }),
      );
      return Items;
    } catch (error) {
      if (isTransient(error)) throw new ServiceUnavailableError({ cause: error });
      throw new AuthServiceError('User lookup failed', { cause: error });
    }
  },
});
