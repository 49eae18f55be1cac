import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { findFunction } from './synth.ts';

export interface Invocation {
  /** Time to import the bundle (the function's init). */
  initMs: number;
  results: { response: APIGatewayProxyResult; ms: number }[];
}

/** What the synthesized template says about a function's code: where it is and how to call it. */
export const functionCode = (template: Template, outdir: string, id: string) => {
  const { resource } = findFunction(template, id);
  return {
    codeDir: join(outdir, resource.Metadata['aws:asset:path']),
    handler: resource.Properties.Handler as string,
    environment: resource.Properties.Environment.Variables as Record<string, unknown>,
  };
};

/**
 * Loads a bundle in a fresh Node process, as the Lambda runtime does, and invokes it once per
 * event in order (cold, then warm). `env` is the process's whole environment.
 */
export const invokeBundle = async (
  code: { codeDir: string; handler: string },
  env: Record<string, string>,
  events: unknown[],
): Promise<Invocation> => {
  const dir = mkdtempSync(join(tmpdir(), 'mk-auth-invoke-'));
  writeFileSync(join(dir, 'events.json'), JSON.stringify(events));
  await promisify(execFile)(
    process.execPath,
    ['scripts/invoke-bundle.mjs', code.codeDir, code.handler, join(dir, 'events.json'), join(dir, 'results.json')],
    { env: { PATH: process.env.PATH, ...env } },
  );
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
};
