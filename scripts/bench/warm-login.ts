/** Sections 1 and 2: the production chain and adapters, in process, warm. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import bcrypt from 'bcryptjs';
import { importJWK, SignJWT } from 'jose';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { createLoginHandlerDependencies } from '#functions/login/dependencies.ts';
import { readLoginConfig } from '#lib/function-config.ts';
import { activeKey, type KeySet, SIGNING_ALGORITHM } from '#lib/tokens/key-set.ts';
import { lambdaContext } from '#scripts/local/api-gateway-event.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import { type BenchEnv, type DocumentClient, loginEventFor, runtimeReads } from './login-events.ts';
import { compare, compareCpu, ms, verdict } from './measure.ts';

export interface WarmLoginInput {
  client: DocumentClient;
  env: BenchEnv;
  keySet: KeySet;
  cost: number;
  telemetry: { logger: Logger; metrics: Metrics };
}

const loginHandler = (env: BenchEnv, telemetry: WarmLoginInput['telemetry']) => {
  const handler = createLoginHandler(createLoginHandlerDependencies(readLoginConfig(env), telemetry));
  return (emailOrUsername: string, password: string) => () =>
    handler(loginEventFor({ emailOrUsername, password }), lambdaContext());
};

/**
 * 1. Everything we add on top of the one unavoidable bcrypt compare. Returns our own CPU per warm
 * login (section 7 uses it); prints only when `print` is set.
 */
export const warmLogin = async ({ client, env, keySet, cost, telemetry }: WarmLoginInput, print: boolean) => {
  const login = loginHandler(env, telemetry);
  const storedHash = await bcrypt.hash(DEMO_USER.password, cost);
  const bareCompare = () => bcrypt.compare(DEMO_USER.password, storedHash);
  const { kid, status, retiredAt, ...jwk } = activeKey(keySet);
  const privateKey = await importJWK({ ...jwk, kid }, SIGNING_ALGORITHM);
  const bareSign = () =>
    new SignJWT({}).setProtectedHeader({ alg: SIGNING_ALGORITHM, kid }).setSubject(DEMO_USER.username).sign(privateKey);

  const overhead = await compare(login(DEMO_USER.email, DEMO_USER.password), bareCompare);
  const overheadRatio = overhead.a / overhead.b;
  const roundTrips = await compare(
    () => runtimeReads(client, env),
    async () => undefined,
  );
  // CPU, not wall time: DynamoDB Local's own work runs in its own process and is not counted.
  const [loginCpu = Number.NaN, compareCpuMs = Number.NaN, signCpu = Number.NaN, readsCpu = Number.NaN] =
    await compareCpu([
      login(DEMO_USER.email, DEMO_USER.password),
      bareCompare,
      bareSign,
      () => runtimeReads(client, env),
    ]);
  const ownCpuMs = loginCpu - compareCpuMs - signCpu;
  if (print) {
    console.log(
      `1. warm login in process: full login ${ms(overhead.a)} / bcrypt.compare alone ${ms(overhead.b)} = ` +
        `${overheadRatio.toFixed(3)} (goal <= 1.03: ${verdict(overheadRatio <= 1.03)}; ` +
        `${ms(overhead.a - overhead.b)} of middy, validation, DynamoDB Local, JWT)`,
    );
    console.log(
      `   of which the claim and the user Query a login makes (in parallel) on DynamoDB Local: ${ms(roundTrips.a)}`,
    );
    console.log(
      `   our own CPU per warm login: ${ms(ownCpuMs)} = login ${ms(loginCpu)} - bare compare ${ms(compareCpuMs)} ` +
        `- bare RS256 sign ${ms(signCpu)} (goal <= 1.5 ms: ${verdict(ownCpuMs <= 1.5)}); ` +
        `of which the AWS SDK sending those two calls alone: ${ms(readsCpu)}`,
    );
  }
  return ownCpuMs;
};

/** 2. An unknown identifier must cost what a wrong password costs, and the same while throttled. */
export const enumeration = async ({ env, telemetry }: Pick<WarmLoginInput, 'env' | 'telemetry'>): Promise<void> => {
  const login = loginHandler(env, telemetry);
  const times = await compare(login('nobody-at-all', 'wrong-password'), login(DEMO_USER.username, 'wrong-password'));
  const ratio = times.a / times.b;
  console.log(
    `2. unknown vs known identifier (wrong password): ${ms(times.a)} / ${ms(times.b)} = ` +
      `${ratio.toFixed(3)} (goal 0.97-1.03: ${verdict(ratio >= 0.97 && ratio <= 1.03)})`,
  );
  // And while throttled: both answered 429 from the claim's answer alone, no bcrypt.
  const throttledLogin = loginHandler({ ...env, THROTTLE_MAX_FAILURES: '1' }, telemetry);
  const throttled = await compare(
    throttledLogin('throttled-nobody', 'wrong-password'),
    throttledLogin(DEMO_USER.email, 'wrong-password'),
  );
  const throttledRatio = throttled.a / throttled.b;
  console.log(
    `   unknown vs known identifier while throttled (429): ${ms(throttled.a)} / ${ms(throttled.b)} = ` +
      `${throttledRatio.toFixed(3)} (goal 0.9-1.1: ${verdict(throttledRatio >= 0.9 && throttledRatio <= 1.1)})`,
  );
};
