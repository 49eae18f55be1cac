/** The bundles sections 3 and 7 run, and the fresh Node processes they run in. */
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { BUNDLING } from '#infra/bundling.ts';
import { functionCode } from '#test/support/lambda-process.ts';
import { synthesize } from '#test/support/synth.ts';

export interface Bundles {
  outdir: string;
  /** The login function's code as CDK bundled it. */
  deployed: string;
  /** The design's packages alone (scripts/bench/floor.ts), with the same esbuild options. */
  floor: string;
  /** The login function with the AWS SDK left to the runtime's copy. */
  external: string;
  /** What each package weighs in the login bundle and in the floor. */
  weights: { login: Map<string, number>; floor: Map<string, number> };
}

/** Bytes in the output per package (or per folder of ours), from esbuild's metafile. */
const weighByPackage = (metafile: Metafile): Map<string, number> => {
  const weights = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/').slice(0, 2).join('/');
      weights.set(name, (weights.get(name) ?? 0) + bytesInOutput);
    }
  }
  return weights;
};

export const buildBundles = async (): Promise<Bundles> => {
  const { template, outdir } = synthesize();
  const deployed = functionCode(template, outdir, 'LoginFunction').codeDir;
  const bundle = async (entry: string, name: string, options: Partial<typeof BUNDLING> | object = {}) => {
    const result = await build({
      ...BUNDLING,
      entryPoints: [entry],
      outfile: join(outdir, name, 'index.mjs'),
      metafile: true,
      logLevel: 'error',
      ...options,
    });
    return { dir: join(outdir, name), weights: weighByPackage(result.metafile) };
  };
  const floor = await bundle('scripts/bench/floor.ts', 'floor');
  // The login function again, as CDK bundled it, for its metafile only.
  const login = await bundle('functions/login/handler.ts', 'login-weighed');
  // The alternative: the AWS SDK left out, loaded from node_modules as from the runtime's copy.
  const external = await bundle('functions/login/handler.ts', 'sdk-external', {
    external: ['@aws-sdk/*', '@smithy/*'],
  });
  symlinkSync(join(process.cwd(), 'node_modules'), join(external.dir, 'node_modules'));
  return {
    outdir,
    deployed,
    floor: floor.dir,
    external: external.dir,
    weights: { login: login.weights, floor: floor.weights },
  };
};

/** How long the first bcrypt.compare of a fresh process takes: what a cold login cannot avoid. */
export const COLD_COMPARE = `import bcrypt from 'bcryptjs';
const hash = await bcrypt.hash('x', Number(process.env.COST));
const started = performance.now();
await bcrypt.compare('x', hash);
console.log(performance.now() - started);`;

export interface Variant {
  name: string;
  dir?: string;
  events?: string;
  status?: number;
  options?: string;
  env?: Record<string, string>;
  /** A script of its own instead of a bundle (prints a number). */
  script?: string;
}

export interface Measured {
  wall: number[];
  init: number[];
  first: number[];
  warm: number[];
  script: number[];
}

/** Runs each variant in a fresh process, `rounds` times, in turn, so drift hits all alike. */
export const runFresh = async (
  variants: Variant[],
  base: Record<string, string>,
  rounds: number,
): Promise<Measured[]> => {
  const run = promisify(execFile);
  const measured = variants.map(() => ({ wall: [], init: [], first: [], warm: [], script: [] }) as Measured);
  for (let i = 0; i < rounds; i += 1) {
    for (const [index, variant] of variants.entries()) {
      const m = measured[index] as Measured;
      const resultsFile = join(tmpdir(), `mk-auth-bench-results-${process.pid}-${index}.json`);
      const argv = variant.script
        ? ['--input-type=module', '-e', variant.script]
        : variant.dir
          ? ['scripts/invoke-bundle.mjs', variant.dir, 'index.handler', variant.events ?? '', resultsFile]
          : ['-e', ''];
      const started = performance.now();
      const { stdout } = await run(process.execPath, argv, {
        env: { ...base, ...variant.env, NODE_OPTIONS: variant.options ?? '' },
      });
      m.wall.push(performance.now() - started);
      if (variant.script) m.script.push(Number(stdout));
      if (!variant.dir) continue;
      const { initMs, results } = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
        initMs: number;
        results: { ms: number; response: { statusCode: number } }[];
      };
      for (const result of results) {
        if (result.response.statusCode !== variant.status) throw new Error(`${variant.name}: unexpected answer`);
      }
      m.init.push(initMs);
      if (results[0]) m.first.push(results[0].ms);
      m.warm.push(...results.slice(1).map((result) => result.ms));
    }
  }
  return measured;
};

/** Writes events for scripts/invoke-bundle.mjs to a file in `outdir`, and returns its path. */
export const writeEvents = (outdir: string, name: string, events: unknown[]) => {
  const file = join(outdir, `${name}.json`);
  writeFileSync(file, JSON.stringify(events));
  return file;
};
