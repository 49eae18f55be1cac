/** Section 5: logins per second through `npm start`, from another process. */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { DEMO_USER, LOCAL_TABLES } from '#scripts/local/tables.ts';
import { ms } from './measure.ts';

/** Logins per second through `npm start` (a separate process), with autocannon. */
export const throughput = async (endpoint: string, compareMs: number): Promise<void> => {
  const server = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      DYNAMODB_ENDPOINT: endpoint,
      USERS_TABLE_NAME: LOCAL_TABLES.users,
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
