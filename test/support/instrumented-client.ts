import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';

/** A table no test creates: a call sent to it fails in the real server (ResourceNotFoundException). */
export const MISSING_TABLE = 'no-such-table';

/**
 * Asserts that `call` fails as a store failure does: a 500 whose message names what failed (for
 * the log), with DynamoDB's own error (a missing table) as its cause, never an answer.
 */
export const expectStoreFailure = async (call: () => Promise<unknown>, message: string): Promise<void> => {
  const error = await call().then(
    (answer) => ({ answer }),
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ statusCode: 500, message });
  expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
};

export interface Instrumented {
  client: DynamoDBDocumentClient;
  /** Every call the client sent, in order: the command's name and its input. */
  calls: { command: string; input: Record<string, unknown> }[];
  /** The UpdateExpression of every UpdateItem sent, in order. */
  updates(): string[];
}

/**
 * A client of the test's DynamoDB Local that records what it sends and, on demand, makes the real
 * server do what it does in production only under failure or load:
 * - `before`: a rival's write lands before each of our UpdateItems (the first 100), a real change
 *   our conditional write then loses to;
 * - `resentUpdate`: the n-th UpdateItem is sent twice and answered with the second reply, as when
 *   the SDK retries a write whose first reply was lost after DynamoDB applied it;
 * - `missingTableUpdate`: the n-th UpdateItem goes to a table that does not exist, a real store failure.
 */
export const instrumentedClient = (
  endpoint: string,
  {
    before,
    resentUpdate,
    missingTableUpdate,
  }: {
    before?: (input: { UpdateExpression?: string }) => Promise<unknown>;
    resentUpdate?: number;
    missingTableUpdate?: number;
  } = {},
): Instrumented => {
  const client = createDocumentClient({ endpoint });
  const calls: Instrumented['calls'] = [];
  const updates = () =>
    calls.filter((call) => call.command === 'UpdateItemCommand').map((call) => `${call.input.UpdateExpression}`);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      calls.push({ command: context.commandName ?? '', input });
      if (context.commandName !== 'UpdateItemCommand') return next(args);
      const n = updates().length;
      if (before && n <= 100) await before(input);
      if (n === missingTableUpdate) return next({ ...args, input: { ...input, TableName: MISSING_TABLE } });
      if (n === resentUpdate) await next(args);
      return next(args);
    },
    { step: 'initialize', name: 'instrumented' },
  );
  return { client, calls, updates };
};
