import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '#lib/http/routes.ts';
import { buildOpenApiDocument } from '#scripts/openapi/document.ts';
import { assertMatchesContract } from '#test/support/contract.ts';

type Operation = {
  security: unknown[];
  parameters?: { name: string }[];
  requestBody?: { content: { 'application/json': { schema: object; example: unknown } } };
  responses: Record<
    string,
    { headers?: Record<string, object>; content: { 'application/json': { schema: object; example?: unknown } } }
  >;
};

const committed = JSON.parse(readFileSync('openapi.json', 'utf8'));

type Response = Operation['responses'][string];
/** A response as declared, following a `$ref` to components/responses. */
const resolved = (response: Response | { $ref: string }): Response =>
  '$ref' in response ? committed.components.responses[response.$ref.replace('#/components/responses/', '')] : response;
const operations = (document: { paths: Record<string, Record<string, Operation>> }) =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );

describe('openapi.json', () => {
  it('is what `npm run openapi` writes from the schemas today', () => {
    expect(committed, 'openapi.json is stale: run `npm run openapi` and commit it').toEqual(buildOpenApiDocument());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(committed);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(committed.openapi).toBe('3.1.0');
  });

  it('describes every route of the route table, and nothing else', () => {
    const documented = operations(committed).map(({ method, path }) => `${method} ${path}`);
    expect(documented.sort()).toEqual(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it("declares the gateway's own answers on every route, in the envelope", () => {
    for (const { operation } of operations(committed)) {
      for (const status of ['403', '404', '413', '415', '429', '502', '504']) {
        expect(resolved(operation.responses[status]!).content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/ErrorEnvelope',
        });
      }
    }
  });

  it("keeps the seed contract's login: same path and names, no Authorization, bearer only on /me", () => {
    const login = committed.paths['/api/auth/login'].post as Operation;
    expect(login.security).toEqual([]);
    expect(login.parameters ?? []).toEqual([]);
    expect(login.requestBody?.content['application/json'].schema).toMatchObject({
      required: ['emailOrUsername', 'password'],
    });
    expect(committed.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(committed.paths['/api/auth/me'].get.security).toEqual([{ bearerAuth: [] }]);
  });

  it('says each shared answer and header once, in components, and every reference resolves', () => {
    const inline = operations(committed).flatMap(({ operation }) =>
      Object.values(operation.responses).filter((response) => !('$ref' in response)),
    );
    const texts = inline.map((response) => JSON.stringify(response));
    expect(texts.length, 'an inline answer repeated: name it in SHARED_RESPONSES').toBe(new Set(texts).size);
    expect(JSON.stringify(committed)).not.toMatch(/"headers":\{"Cache-Control":\{"description"/);
    for (const [, kind, name] of JSON.stringify(committed).matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      expect(committed.components[kind!]?.[name!], `#/components/${kind}/${name}`).toBeDefined();
    }
    expect(committed.info.license).toEqual({ name: 'Proprietary: Movie Knight, all rights reserved' });
  });

  it('leaves room in every answer for fields added later: a validating client accepts one it does not know', () => {
    expect(JSON.stringify(committed)).not.toContain('"additionalProperties":false');
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'doc', ...committed });
    const login = resolved(committed.paths['/api/auth/login'].post.responses['200']).content['application/json'];
    const check = ajv.compile(rewrite(login.schema));
    const answer = login.example as { ok: true; data: { user: object } };
    expect(check(answer), ajv.errorsText(check.errors)).toBe(true);
    const added = { ...answer, data: { ...answer.data, later: 1, user: { ...answer.data.user, later: 'x' } } };
    expect(check(added), ajv.errorsText(check.errors)).toBe(true);
    // Our own answers are still held to exactly what is documented.
    const response = { statusCode: 200, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } };
    expect(() =>
      assertMatchesContract('POST', '/api/auth/login', { ...response, body: JSON.stringify(answer) }),
    ).not.toThrow();
    expect(() =>
      assertMatchesContract('POST', '/api/auth/login', { ...response, body: JSON.stringify(added) }),
    ).toThrow('must NOT have additional properties');
  });

  it('has examples that match their own schemas', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'doc', ...committed });
    for (const { method, path, operation } of operations(committed)) {
      const bodies = [
        // A JSON body, or the form of an OAuth endpoint (its fields as an object).
        ...Object.values(operation.requestBody?.content ?? {}).map((content) => ['request', content] as const),
        ...Object.entries(operation.responses).map(
          ([status, response]) => [status, resolved(response).content['application/json']] as const,
        ),
      ];
      for (const [which, { schema, example }] of bodies) {
        if (example === undefined) continue;
        const check = ajv.compile({ allOf: [rewrite(schema)] });
        expect(check(example), `${method} ${path} ${which}: ${ajv.errorsText(check.errors)}`).toBe(true);
      }
    }
  });
});

describe('the contract check every handler test runs (test/support/contract.ts)', () => {
  const envelope = (
    body: unknown,
    statusCode = 401,
    headers = { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  ) => ({
    statusCode,
    headers,
    body: JSON.stringify(body),
  });

  it('passes a declared answer', () => {
    expect(() =>
      assertMatchesContract(
        'POST',
        '/api/auth/login',
        envelope({ ok: false, error: 'Invalid email, username or password', code: 'invalid_credentials' }),
      ),
    ).not.toThrow();
  });

  it.each([
    [
      'an undeclared field',
      envelope({ ok: false, error: 'x', stack: 'at ...' }),
      'must NOT have additional properties',
    ],
    ['a missing required field', envelope({ ok: false }), "must have required property 'error'"],
    ['an undeclared status', envelope({ ok: false, error: 'x' }, 418), 'status not declared'],
    ['a missing required header', envelope({ ok: false, error: 'x' }, 401, {} as never), 'no Cache-Control header'],
  ])('fails %s', (_, response, reason) => {
    expect(() => assertMatchesContract('POST', '/api/auth/login', response)).toThrow(reason);
  });

  it('fails a route the document does not have', () => {
    expect(() => assertMatchesContract('GET', '/api/auth/nothing', envelope({ ok: false, error: 'x' }, 404))).toThrow(
      'not in openapi.json',
    );
  });
});

/** A schema of the document with its references made absolute to the document. */
const rewrite = (schema: object): object =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
