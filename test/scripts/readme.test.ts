import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#scripts/local/free-port.ts';

/** The pages whose shell examples a reader runs against `npm start`, in reading order. */
const PAGES = ['README.md', 'docs/api.md', 'docs/tokens.md', 'docs/passkeys.md'];
const DOCUMENTED_URL = 'http://127.0.0.1:3000';
const STATUS_COMMENT = /^# (\d{3})\b/;

interface Example {
  page: string;
  line: number;
  script: string;
  /** The status each curl call should get, in order: the status comment above its line. */
  statuses: number[];
}

/** Every ```sh block with a status comment (`# 200: ...`); blocks without one are not run. */
const examples = (page: string): Example[] => {
  const found: Example[] = [];
  const lines = readFileSync(page, 'utf8').split('\n');
  for (let start = 0; start < lines.length; start++) {
    if (lines[start] !== '```sh') continue;
    const end = lines.indexOf('```', start + 1);
    const block = lines.slice(start + 1, end);
    start = end;
    if (!block.some((line) => STATUS_COMMENT.test(line))) continue;
    const statuses: number[] = [];
    let expected: number | undefined;
    for (const line of block) {
      const status = STATUS_COMMENT.exec(line);
      if (status) expected = Number(status[1]);
      else if (!line.startsWith('#'))
        for (const _ of line.matchAll(/\bcurl /g)) {
          if (expected === undefined) throw new Error(`${page}:${start}: a curl line before any status comment`);
          statuses.push(expected);
        }
    }
    found.push({ page, line: start - block.length, script: block.join('\n'), statuses });
  }
  return found;
};

const EXAMPLES = PAGES.flatMap(examples);

describe('the documented curl examples', () => {
  let server: ChildProcess;
  let url: string;
  let bin: string;
  let output = '';

  beforeAll(async () => {
    // A curl that notes the status of each answer it gets, so the examples run exactly as written.
    bin = mkdtempSync(join(tmpdir(), 'readme-curl-'));
    const curl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(bin, 'curl'),
      `#!/bin/sh
headers=$(mktemp)
'${curl}' -D "$headers" "$@"; code=$?
sed -n '1s/^HTTP\\/[0-9.]* \\([0-9]*\\).*/\\1/p' "$headers" >> "$CURL_STATUSES"
rm -f "$headers"
exit $code
`,
    );
    chmodSync(join(bin, 'curl'), 0o755);

    const { DYNAMODB_ENDPOINT, USERS_TABLE_NAME, SIGNING_KEYS, PUBLIC_KEYS, ...env } = process.env;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], {
      env: { ...env, PORT: String(port), POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      const answered = await fetch(`${url}/.well-known/jwks.json`).then(
        (response) => response.ok,
        () => false,
      );
      if (answered) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it('finds the examples: the README has one, and every page listed has some', () => {
    for (const page of PAGES) expect(EXAMPLES.some((example) => example.page === page)).toBe(true);
    expect(EXAMPLES.flatMap((example) => example.statuses).length).toBeGreaterThan(20);
  });

  it.each(EXAMPLES.map((example) => [`${example.page}:${example.line}`, example] as const))(
    'runs %s top to bottom, each answer with the status above it',
    (_, example) => {
      const statuses = join(bin, 'statuses');
      writeFileSync(statuses, '');
      const script = `set -eo pipefail\n${example.script.replaceAll(DOCUMENTED_URL, url)}`;
      execFileSync('bash', ['-c', script], {
        env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}`, CURL_STATUSES: statuses },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const seen = readFileSync(statuses, 'utf8').trim().split('\n').filter(Boolean).map(Number);
      expect(seen).toEqual(example.statuses);
    },
  );
});
