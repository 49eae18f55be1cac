/**
 * `npm run bench`: the numbers behind the README's Performance section. Medians over repeated
 * runs, measured alternately where two things are compared, so drift hits both alike.
 * Not part of `npm test`: timings belong here, not in assertions.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { build } from 'esbuild';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { createLoginDependencies } from '#functions/login/dependencies.ts';
import { createRefreshHandler } from '#functions/refresh/create-handler.ts';
import { createRefreshDependencies } from '#functions/refresh/dependencies.ts';
import { BUNDLING } from '#infra/bundling.ts';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { DEFAULTS, readLoginConfig, readRefreshConfig } from '#lib/config.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createKeySet } from '#lib/tokens/key-set.ts';
import { USERS_TABLE } from '#lib/users/table.ts';
import { lambdaContext, toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { startDynamoDbLocal } from '#scripts/local/dynamodb-local.ts';
import { DEMO_USER, ensureTables, LOCAL_TABLES, seedDemoUser } from '#scripts/local/tables.ts';
import { functionCode } from '#test/support/lambda-process.ts';
import { synthesize } from '#test/support/synth.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 15);
/** BENCH_ONLY=1,2 runs only those sections. */
const ONLY = process.env.BENCH_ONLY?.split(',').map(Number);
const wanted = (section: number) => !ONLY || ONLY.includes(section);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'goal met' : 'GOAL MISSED');

const time = async (run: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};

/** Median of each of two operations over `rounds`, run alternately after one warm-up each. */
const compare = async (a: () => Promise<unknown>, b: () => Promise<unknown>, rounds = ROUNDS) => {
  await a();
  await b();
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < rounds; i += 1) {
    times[0].push(await time(a));
    times[1].push(await time(b));
  }
  return { a: median(times[0]), b: median(times[1]) };
};

const main = async (): Promise<void> => {
  const cost = DEFAULTS.bcryptCost;
  console.log(
    `# npm run bench: medians of ${ROUNDS} alternating runs (cold starts: ${COLD_STARTS} fresh processes); ` +
      `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, bcrypt cost ${cost}, ` +
      `DynamoDB Local on loopback, ${new Date().toISOString().slice(0, 10)}`,
  );

  const db = await startDynamoDbLocal({ port: 0 });
  try {
    const client = createDocumentClient({ endpoint: db.endpoint });
    await ensureTables(client, LOCAL_TABLES);
    await seedDemoUser(client, LOCAL_TABLES.users, cost);
    const env = {
      TABLE_NAME: LOCAL_TABLES.users,
      ATTEMPTS_TABLE_NAME: LOCAL_TABLES.attempts,
      DYNAMODB_ENDPOINT: db.endpoint,
      SIGNING_KEYS: JSON.stringify(await createKeySet()),
      IDENTIFIER_KEY: 'bench-identifier-key-0123456789abcdefghijklm',
      SESSIONS_TABLE_NAME: LOCAL_TABLES.sessions,
      REFRESH_KEY: 'bench-refresh-key-0123456789abcdefghijklmnopq',
      TOKEN_ISSUER: 'http://127.0.0.1',
      // Enough failures for every round without throttling the benchmark itself.
      THROTTLE_MAX_FAILURES: '100',
    };

    // The production chain and adapters, in process, warm.
    const logger = new Logger({ logLevel: 'SILENT' });
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = new Metrics({ namespace: 'Bench' });
    const config = readLoginConfig(env);
    const handler = createLoginHandler({
      ...createLoginDependencies(config, { logger, metrics }),
      corsAllowedOrigins: [],
    });
    const login = (emailOrUsername: string, password: string) => () =>
      handler(loginEventFor({ emailOrUsername, password }), lambdaContext());
    const storedHash = await bcrypt.hash(DEMO_USER.password, cost);

    // 1. Everything we add on top of the one unavoidable bcrypt compare.
    if (wanted(1)) {
      const overhead = await compare(login(DEMO_USER.email, DEMO_USER.password), () =>
        bcrypt.compare(DEMO_USER.password, storedHash),
      );
      const overheadRatio = overhead.a / overhead.b;
      console.log(
        `1. overhead: full login ${ms(overhead.a)} / bcrypt.compare alone ${ms(overhead.b)} = ` +
          `${overheadRatio.toFixed(3)} (goal <= 1.03: ${verdict(overheadRatio <= 1.03)}; ` +
          `${ms(overhead.a - overhead.b)} of middy, validation, DynamoDB Local, JWT)`,
      );
      const roundTrips = await compare(
        () => runtimeReads(client, env),
        async () => undefined,
      );
      console.log(
        `   of which the claim and the user Query a login makes (in parallel) on DynamoDB Local: ${ms(roundTrips.a)}`,
      );
    }

    // 2. An unknown identifier must cost what a wrong password costs.
    if (wanted(2)) {
      const enumeration = await compare(
        login('nobody-at-all', 'wrong-password'),
        login(DEMO_USER.username, 'wrong-password'),
      );
      const enumerationRatio = enumeration.a / enumeration.b;
      console.log(
        `2. unknown vs known identifier (wrong password): ${ms(enumeration.a)} / ${ms(enumeration.b)} = ` +
          `${enumerationRatio.toFixed(3)} (goal 0.97-1.03: ${verdict(enumerationRatio >= 0.97 && enumerationRatio <= 1.03)})`,
      );
      // And while throttled: both answered 429 from the claim's answer alone, no bcrypt.
      const throttledHandler = createLoginHandler({
        ...createLoginDependencies(readLoginConfig({ ...env, THROTTLE_MAX_FAILURES: '1' }), { logger, metrics }),
        corsAllowedOrigins: [],
      });
      const throttledLogin = (emailOrUsername: string) => () =>
        throttledHandler(loginEventFor({ emailOrUsername, password: 'wrong-password' }), lambdaContext());
      const throttled = await compare(throttledLogin('throttled-nobody'), throttledLogin(DEMO_USER.email));
      const throttledRatio = throttled.a / throttled.b;
      console.log(
        `   unknown vs known identifier while throttled (429): ${ms(throttled.a)} / ${ms(throttled.b)} = ` +
          `${throttledRatio.toFixed(3)} (goal 0.9-1.1: ${verdict(throttledRatio >= 0.9 && throttledRatio <= 1.1)})`,
      );
    }

    // 3. Cold start of the bundle CDK produced, in fresh Node processes.
    if (wanted(3)) await coldStart(env);

    // 4. What each bcrypt cost costs on this machine.
    const costs: string[] = [];
    let compareAtDefault = Number.NaN;
    for (const c of wanted(4) || wanted(5) ? [10, 11, 12, 13] : []) {
      const hash = await bcrypt.hash('correct horse battery', c);
      const runs: number[] = [];
      for (let i = 0; i < (c >= 12 ? 5 : 11); i += 1)
        runs.push(await time(() => bcrypt.compare('correct horse battery', hash)));
      if (c === cost) compareAtDefault = median(runs);
      costs.push(`cost ${c}: ${ms(median(runs))}`);
    }
    if (wanted(4)) console.log(`4. bcrypt.compare per cost: ${costs.join(', ')}`);

    // 5. Throughput of `npm start` under load from another process's point of view.
    if (wanted(5)) await throughput(db.endpoint, compareAtDefault);

    // 6. Sessions: what a login pays for its session, and what a refresh costs.
    if (wanted(6)) await sessionCosts(client, env, { logger, metrics });
    client.destroy();
  } finally {
    await db.stop();
  }
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/**
 * The session a login starts (a PutItem and the cap's Query on the user index, side by side), on
 * top of its bcrypt compare; and the refresh handler's latency, warm, in process, each refresh
 * with the token the previous one returned (a read of the session, a read of the user, the
 * conditional rotation, an RS256 signature).
 */
const sessionCosts = async (
  client: ReturnType<typeof createDocumentClient>,
  env: Record<string, string>,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
): Promise<void> => {
  const config = readRefreshConfig(env);
  const start = createSessionStarter({
    sessions: createDynamoDbSessionStore(client, env.SESSIONS_TABLE_NAME ?? ''),
    refreshTokens: createRefreshTokens(createSecretReader({ value: env.REFRESH_KEY ?? '' })),
    policy: config.sessions.policy,
  });
  const user = { id: 'bench-session-user' };
  const starts: number[] = [];
  for (let i = 0; i < ROUNDS + 1; i += 1) starts.push(await time(() => start(user, 'bench')));
  console.log(
    `6. a login's session (PutItem + the cap's Query, in parallel), beyond its bcrypt compare: median ${ms(median(starts.slice(1)))}`,
  );

  const refresh = createRefreshHandler({
    ...createRefreshDependencies(config, { logger, metrics }),
    corsAllowedOrigins: [],
  });
  let { refreshToken } = await start({ id: DEMO_USER.id }, 'bench');
  const event = () =>
    toApiGatewayEvent({
      method: 'POST',
      path: '/api/auth/refresh',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
  const latencies: number[] = [];
  const count = Math.max(ROUNDS * 10, 100);
  for (let i = 0; i < count + 5; i += 1) {
    const started = performance.now();
    const response = await refresh(event(), lambdaContext('RefreshFunction'));
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`refresh answered ${response.statusCode}`);
    ({ refreshToken } = JSON.parse(response.body).data);
    if (i >= 5) latencies.push(elapsed);
  }
  console.log(
    `   refresh, warm, in process (${count} in a row): median ${ms(median(latencies))}, p99 ${ms(percentile(latencies, 99))}`,
  );
};

/**
 * The two calls every login makes before bcrypt, as it makes them: a Query on an index and the
 * attempt's claim (never settled: a budget of 100 outlasts the rounds).
 */
const runtimeReads = async (client: ReturnType<typeof createDocumentClient>, env: Record<string, string>) => {
  const attempts = createDynamoDbLoginAttempts(client, env.ATTEMPTS_TABLE_NAME as string, {
    ...DEFAULTS.throttle,
    maxFailures: 100,
  });
  await Promise.all([
    attempts.claim('bench'),
    client.send(
      new QueryCommand({
        TableName: env.TABLE_NAME,
        IndexName: USERS_TABLE.indexes.username.indexName,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': USERS_TABLE.indexes.username.partitionKey },
        ExpressionAttributeValues: { ':v': DEMO_USER.username },
        Limit: 2,
      }),
    ),
  ]);
};

/** An API Gateway event for the login route with this body. */
const loginEventFor = (body: unknown) =>
  toApiGatewayEvent({
    method: 'POST',
    path: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * Fresh processes: empty Node vs Node importing a bundle and answering its first event, for the
 * bundle CDK produced and for the alternatives its bundling options were chosen over.
 */
const coldStart = async (env: Record<string, string>): Promise<void> => {
  const { template, outdir } = synthesize();
  const deployed = functionCode(template, outdir, 'LoginFunction').codeDir;
  const bundleKb = statSync(join(deployed, 'index.mjs')).size / 1024;
  const mapKb = statSync(join(deployed, 'index.mjs.map')).size / 1024;

  // The alternative: the AWS SDK left out, loaded from node_modules as from the runtime's copy.
  const external = join(outdir, 'sdk-external');
  await build({
    ...BUNDLING,
    entryPoints: ['functions/login/handler.ts'],
    external: ['@aws-sdk/*', '@smithy/*'],
    sourcemap: false,
    outfile: join(external, 'index.mjs'),
    logLevel: 'error',
  });
  symlinkSync(join(process.cwd(), 'node_modules'), join(external, 'node_modules'));
  const externalKb = statSync(join(external, 'index.mjs')).size / 1024;

  const events = (name: string, body: unknown) => {
    const file = join(outdir, `${name}.json`);
    writeFileSync(file, JSON.stringify([loginEventFor(body)]));
    return file;
  };
  const login = events('login', { emailOrUsername: DEMO_USER.username, password: DEMO_USER.password });
  const badInput = events('bad-input', { emailOrUsername: DEMO_USER.username });
  const variants: { name: string; dir?: string; events?: string; status?: number; options?: string }[] = [
    { name: 'empty node' },
    { name: 'deployed bundle, first event a login', dir: deployed, events: login, status: 200 },
    {
      name: 'deployed bundle, first event bad input (no bcrypt, no DynamoDB)',
      dir: deployed,
      events: badInput,
      status: 400,
    },
    {
      name: 'deployed bundle with --enable-source-maps, login',
      dir: deployed,
      events: login,
      status: 200,
      options: '--enable-source-maps',
    },
    {
      name: `AWS SDK not bundled (${externalKb.toFixed(0)} KB + the runtime's SDK), login`,
      dir: external,
      events: login,
      status: 200,
    },
  ];

  const run = promisify(execFile);
  const base = { PATH: process.env.PATH, ...env, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const measured = variants.map(() => ({ wall: [] as number[], init: [] as number[], first: [] as number[] }));
  for (let i = 0; i < COLD_STARTS; i += 1) {
    for (const [index, variant] of variants.entries()) {
      const resultsFile = join(outdir, `results-${index}.json`);
      const argv = variant.dir
        ? ['scripts/invoke-bundle.mjs', variant.dir, 'index.handler', variant.events ?? '', resultsFile]
        : ['-e', ''];
      const started = performance.now();
      await run(process.execPath, argv, { env: { ...base, NODE_OPTIONS: variant.options ?? '' } });
      measured[index]?.wall.push(performance.now() - started);
      if (!variant.dir) continue;
      const { initMs, results } = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
        initMs: number;
        results: { ms: number; response: { statusCode: number } }[];
      };
      if (results[0]?.response.statusCode !== variant.status) throw new Error(`${variant.name}: unexpected answer`);
      measured[index]?.init.push(initMs);
      measured[index]?.first.push(results[0]?.ms ?? Number.NaN);
    }
  }
  const empty = median(measured[0]?.wall ?? []);
  console.log(
    `3. cold start (fresh process to first answer; DynamoDB Local warm): empty node ${ms(empty)}; ` +
      `deployed bundle ${bundleKb.toFixed(0)} KB (+ ${mapKb.toFixed(0)} KB source map, read only with --enable-source-maps)`,
  );
  for (const [index, variant] of variants.entries()) {
    if (!variant.dir) continue;
    const m = measured[index];
    if (!m) continue;
    const above = median(m.wall) - empty;
    console.log(
      `   ${variant.name}: ${ms(median(m.wall))} = empty + ${ms(above)} (import ${ms(median(m.init))}, ` +
        `first answer ${ms(median(m.first))})${variant.status === 400 ? ` goal < 50 ms above empty: ${verdict(above < 50)}` : ''}`,
    );
  }
  console.log(`   bundle size goal < 250 KB: ${verdict(bundleKb < 250)}`);
};

/** Logins per second through `npm start` (a separate process), with autocannon. */
const throughput = async (endpoint: string, compareMs: number): Promise<void> => {
  const server = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      DYNAMODB_ENDPOINT: endpoint,
      TABLE_NAME: LOCAL_TABLES.users,
      ATTEMPTS_TABLE_NAME: LOCAL_TABLES.attempts,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      server.once('exit', () => reject(new Error(`npm start exited:\n${output}`)));
    });
    const result = await autocannon({
      url: `${url}/api/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ emailOrUsername: DEMO_USER.username, password: DEMO_USER.password }),
      connections: 4,
      duration: 10,
    });
    const ceiling = 1000 / compareMs;
    console.log(
      `5. npm start throughput: ${result.requests.average.toFixed(1)} logins/s (4 connections, 10 s, ` +
        `${result.non2xx} non-2xx, p50 ${ms(result.latency.p50)}, p99 ${ms(result.latency.p99)}); ` +
        `one core's ceiling 1 / ${ms(compareMs)} = ${ceiling.toFixed(1)} logins/s`,
    );
  } finally {
    server.kill('SIGTERM');
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
