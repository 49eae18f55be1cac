import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import openApiDocument from '#openapi.json' with { type: 'json' };

/**
 * What a client team does with openapi.json (`npm run openapi:types`): generate types with
 * openapi-typescript, and write a client against them. The client below logs in, refreshes and
 * lists the sessions; it must compile under strict TypeScript, and a misuse must not.
 */
const CLIENT = `
import type { components, paths } from './api';

type LoginRequest = paths['/api/auth/login']['post']['requestBody']['content']['application/json'];
type LoginResponse = components['schemas']['LoginResponse'];
type RefreshResponse = paths['/api/auth/refresh']['post']['responses'][200]['content']['application/json'];
type SessionList = components['schemas']['SessionList'];
type ErrorEnvelope = components['schemas']['ErrorEnvelope'];
type TokenResponse = components['schemas']['TokenResponse'];

const base = 'http://127.0.0.1:3000';

const call = async <T>(path: string, init: RequestInit): Promise<T | ErrorEnvelope> =>
  (await (await fetch(base + path, init)).json()) as T | ErrorEnvelope;

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

export const signInRefreshAndList = async (emailOrUsername: string, password: string): Promise<string[]> => {
  const request: LoginRequest = { emailOrUsername, password };
  const login = await call<LoginResponse>('/api/auth/login', json(request));
  if (!login.ok) throw new Error(login.code === 'too_many_attempts' ? 'wait' : login.error);
  const refreshed = await call<RefreshResponse>('/api/auth/refresh', json({ refreshToken: login.data.refreshToken }));
  if (!refreshed.ok) throw new Error(refreshed.code);
  const list = await call<SessionList>('/api/auth/sessions', {
    headers: { Authorization: 'Bearer ' + refreshed.data.token },
  });
  if (!list.ok) throw new Error(list.code);
  return list.data.sessions.filter((session) => !session.current).map((session) => session.id + session.expiresAt);
};

export const expiresIn = (answer: TokenResponse): number => answer.expires_in;
`;

/** The same client, wrong: a code that does not exist, and a field no answer has. */
const MISUSE = `
import type { components } from './api';
const code: components['schemas']['ErrorCode'] = 'no_such_code';
const grant = {} as components['schemas']['TokenGrant'];
export const wrong = [code, grant.accessToken];
`;

const compile = (dir: string, file: string): string[] => {
  const program = ts.createProgram([join(dir, file)], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
};

describe('a typed client generated from openapi.json with openapi-typescript', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
    const types = astToString(await openapiTS(openApiDocument as never));
    writeFileSync(join(dir, 'api.d.ts'), types);
    writeFileSync(join(dir, 'client.ts'), CLIENT);
    writeFileSync(join(dir, 'misuse.ts'), MISUSE);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles a client that logs in, refreshes and lists the sessions, under strict TypeScript', () => {
    expect(compile(dir, 'client.ts')).toEqual([]);
  });

  it('refuses a client that uses a code or a field the document does not have', () => {
    const errors = compile(dir, 'misuse.ts');
    expect(errors.some((message) => message.includes('"no_such_code"'))).toBe(true);
    expect(errors.some((message) => message.includes("'accessToken'"))).toBe(true);
  });
});
