import type { BuildOptions } from 'esbuild';

/**
 * How every function of the service is bundled, in esbuild's own terms: the function construct
 * hands these to CDK's NodejsFunction, and `npm run bench` builds its floor and its alternatives
 * with the same, so a comparison is never between two different builds.
 * Chosen by measurement (npm run bench, docs/performance.md).
 */
export const BUNDLING = {
  bundle: true,
  platform: 'node',
  // ESM, like the source; the banner gives bundled CommonJS dependencies a `require`.
  format: 'esm',
  target: 'node24',
  // The SDK's ES module builds, so esbuild can drop what we do not use.
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  // The AWS SDK bundled: its import is faster from one minified file than from the runtime's
  // node_modules (about 30 ms less here), and the version we test is the version that runs.
  external: [],
  minify: true,
  // Class names survive minifying, so an error in a log line is named by its class (lib/errors.ts
  // and jose both take `name` from the class).
  keepNames: true,
  // A map ships beside the bundle (without sources), for decoding a trace when needed.
  sourcemap: true,
  sourcesContent: false,
} as const satisfies BuildOptions;
