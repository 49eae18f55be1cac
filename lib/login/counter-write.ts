import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';

/** One change to a `failures` counter in the attempts table: the rule is in `condition`. */
export interface CounterWrite {
  key: string;
  update: string;
  condition?: string | undefined;
  values: Record<string, unknown>;
}

/**
 * Applies one conditional UpdateItem to a counter item (device budgets, the account cap) and
 * resolves to the `failures` it left, or `undefined` when the condition did not hold: an answer,
 * not an error. `#key` and `#ttl` name the table's key and TTL attributes.
 */
export const writeCounter = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  { key, update, condition, values }: CounterWrite,
  failure: string,
): Promise<number | undefined> => {
  const { partitionKey, timeToLiveAttribute } = LOGIN_ATTEMPTS_TABLE;
  const uses = (name: string) => [update, condition].some((expression) => expression?.includes(name));
  // DynamoDB refuses names an expression does not use, and an empty map.
  const names = {
    ...(uses('#key') && { '#key': partitionKey }),
    ...(uses('#ttl') && { '#ttl': timeToLiveAttribute }),
  };
  try {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { [partitionKey]: key },
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    // Every counter write sets or adds `failures`, so the new values always hold it.
    return (Attributes as { failures: number }).failures;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    return toStoreError(failure)(error);
  }
};
