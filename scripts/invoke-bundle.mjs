// Loads a Lambda bundle the way the Node.js runtime does and invokes it once per event, in
// one process (the first invocation cold, the rest warm).
// Usage: node scripts/invoke-bundle.mjs <code-dir> <Handler> <events.json> <results.json>
// <Handler> is the function's Handler property ("index.handler"); events.json holds an array.
// Plain JavaScript on purpose: it runs in a fresh `node`, with nothing but the bundle.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [codeDir, handlerSpec, eventsFile, resultsFile] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf('.');
const [moduleName, exportName] = [handlerSpec.slice(0, dot), handlerSpec.slice(dot + 1)];
const file = ['.mjs', '.js', '.cjs'].map((ext) => join(codeDir, moduleName + ext)).find((f) => existsSync(f));
if (!file) throw new Error(`No module ${moduleName} in ${codeDir}`);

const started = performance.now();
const handler = (await import(pathToFileURL(file).href))[exportName];
const initMs = performance.now() - started;
if (typeof handler !== 'function') throw new Error(`${handlerSpec} is not a function`);

const timeoutMs = Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? 10) * 1000;
const results = [];
for (const event of JSON.parse(await readFile(eventsFile, 'utf8'))) {
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'LoginFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:LoginFunction`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1769',
    logGroupName: '/aws/lambda/LoginFunction',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  const invoked = performance.now();
  const response = await handler(event, context);
  results.push({ response, ms: performance.now() - invoked });
}
await writeFile(resultsFile, JSON.stringify({ initMs, results }));
