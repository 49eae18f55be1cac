import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { STACK_NAME } from './synth.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's one synthesis of the default stack writes (see `setup` below). */
    synthesisDir: string;
  }
}

const paths = (dir: string) => ({
  outdir: join(dir, 'cdk.out'),
  /** `{ "ok": true }`, or `{ "ok": false, "output": "..." }` with what synthesis printed. */
  status: join(dir, 'status.json'),
});

/**
 * Global setup of the `slow` project: synthesizes the default stack, the seven bundles included,
 * once per run, in a Node process of its own, so the run goes on while CDK and esbuild work (the
 * `unit` project runs first, on the other core). Test files wait for it with `sharedSynthesis`.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'mk-auth-synthesis-'));
  const { outdir, status } = paths(dir);
  project.provide('synthesisDir', dir);
  const synthModule = pathToFileURL(fileURLToPath(new URL('./synth.ts', import.meta.url))).href;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '--eval',
      `import { synthesize } from ${JSON.stringify(synthModule)}; synthesize({}, undefined, ${JSON.stringify(outdir)});`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const finish = (ok: boolean) => {
    if (existsSync(status)) return;
    // Written whole, then renamed: a test never reads half a status.
    writeFileSync(`${status}.tmp`, JSON.stringify(ok ? { ok } : { ok, output }));
    renameSync(`${status}.tmp`, status);
  };
  child.on('error', (error) => {
    collect(Buffer.from(String(error)));
    finish(false);
  });
  child.on('exit', (code, signal) => {
    if (code !== 0) collect(Buffer.from(`\nsynthesis exited with ${signal ?? code}`));
    finish(code === 0);
  });
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * The default stack, bundles included, from the run's one synthesis: waits until it is done and
 * reads the template from its cloud assembly. Every file of the run shares the assembly: read it,
 * never write to it. (Only files of the `slow` project can call this: its setup starts the synthesis.)
 */
export const sharedSynthesis = async (): Promise<{ template: Template; outdir: string }> => {
  const { outdir, status } = paths(inject('synthesisDir'));
  while (!existsSync(status)) await sleep(200);
  const result = JSON.parse(readFileSync(status, 'utf8')) as { ok: boolean; output?: string };
  if (!result.ok) throw new Error(`The shared synthesis failed:\n${result.output}`);
  const template = Template.fromJSON(JSON.parse(readFileSync(join(outdir, `${STACK_NAME}.template.json`), 'utf8')));
  return { template, outdir };
};
