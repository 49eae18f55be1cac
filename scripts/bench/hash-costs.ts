/**
 * Section 8: a failed login takes the same time whatever the cost of the stored hash, right after
 * BCRYPT_COST was raised: users hashed at every accepted cost below it, one at it, and an unknown
 * identifier, measured in turn.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { createLoginHandlerDependencies } from '#functions/login/dependencies.ts';
import { readLoginConfig } from '#lib/function-config.ts';
import { acceptedCosts, hashPassword } from '#lib/users/passwords.ts';
import { newUserItem } from '#lib/users/user.ts';
import { lambdaContext } from '#scripts/local/api-gateway-event.ts';
import { type BenchEnv, type DocumentClient, loginEventFor } from './login-events.ts';
import { compareAll, ms, ROUNDS, ratios } from './measure.ts';

/** The cost the bench raises BCRYPT_COST to: two steps above the default, the widest padding it shows. */
const RAISED_COST = 12;

export const hashCosts = async (
  client: DocumentClient,
  env: BenchEnv,
  telemetry: { logger: Logger; metrics: Metrics },
): Promise<void> => {
  const { lowest, highest } = acceptedCosts(RAISED_COST);
  const costs = Array.from({ length: highest - lowest + 1 }, (_, i) => lowest + i);
  for (const cost of costs) {
    const item = newUserItem({
      id: `bench-cost-${cost}`,
      email: `cost-${cost}@bench.example`,
      username: `bench-cost-${cost}`,
      name: `Hashed at ${cost}`,
      passwordHash: await hashPassword('the right password', cost),
    });
    await client.send(new PutCommand({ TableName: env.TABLE_NAME, Item: item }));
  }
  const handler = createLoginHandler(
    createLoginHandlerDependencies(readLoginConfig({ ...env, BCRYPT_COST: String(RAISED_COST) }), telemetry),
  );
  const login = (emailOrUsername: string) => () =>
    handler(loginEventFor({ emailOrUsername, password: 'a wrong password' }), lambdaContext());
  // Fewer rounds than elsewhere: each is a few compares' worth at cost 12.
  const rounds = Math.max(10, Math.ceil(ROUNDS / 2));
  const [unknown, ...known] = await compareAll(
    [login('nobody-after-the-raise'), ...costs.map((cost) => login(`bench-cost-${cost}`))],
    rounds,
  );
  console.log(
    `8. failed login by stored hash cost, right after BCRYPT_COST was raised from 10 to ${RAISED_COST}, against an ` +
      `unknown identifier (${ms(unknown?.wall ?? Number.NaN)}), medians of ${rounds}: ` +
      known.map((measured, i) => `hashed at ${costs[i]} ${ratios(measured, unknown)}`).join('; '),
  );
};
