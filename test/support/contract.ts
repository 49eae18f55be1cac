import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import openApiDocument from '#openapi.json' with { type: 'json' };
import { buildOpenApiDocument } from '#scripts/openapi/document.ts';

interface OpenApiResponse {
  headers?: Record<string, { required?: boolean } | Reference>;
  content?: { 'application/json'?: { schema?: object } };
}

interface Reference {
  $ref: string;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse | Reference> }>>;
  components: { responses: Record<string, OpenApiResponse>; headers: Record<string, { required?: boolean }> };
}

const DOCUMENT = openApiDocument as unknown as OpenApiDocument;
const DOCUMENT_ID = 'https://movieknight.site/openapi.json';

// The whole document is one schema resource, so `#/components/schemas/...` references resolve.
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
// The closed form of the committed document (which a test keeps equal to the build): the published
// one leaves room for fields we add later; our own answers are held to exactly the documented
// fields, so one we send but never documented (a leaked hash, a stack) fails the check.
ajv.addSchema({ ...buildOpenApiDocument({ closed: true }), $id: DOCUMENT_ID }, DOCUMENT_ID);

const pointer = (...segments: string[]): string =>
  segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** A response or header as declared, and the JSON pointer it sits at, following one `$ref` to components. */
const resolve = <T>(declared: T | Reference, at: string[]): { value: T; at: string[] } => {
  if (typeof declared !== 'object' || declared === null || !('$ref' in declared)) return { value: declared, at };
  const path = declared.$ref.replace(/^#\//, '').split('/');
  const value = path.reduce<unknown>((node, segment) => (node as Record<string, unknown>)[segment], DOCUMENT);
  if (value === undefined) throw new Error(`${declared.$ref} is not in openapi.json`);
  return { value: value as T, at: path };
};

export interface ContractResponse {
  statusCode: number;
  headers?: Record<string, unknown> | undefined;
  body: string;
}

/**
 * Checks one response against the committed OpenAPI document (openapi.json): its status is
 * declared for the route (`path` as in the route table), its JSON body validates against that
 * status's schema (an undeclared or missing field fails: the closed form), and every
 * header the document marks required is present. Throws with the reasons otherwise.
 */
export const assertMatchesContract = (method: string, path: string, response: ContractResponse): void => {
  const where = `${method} ${path} ${response.statusCode}`;
  const operation = DOCUMENT.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${path} is not in openapi.json`);
  const listed = operation.responses[String(response.statusCode)];
  if (!listed) throw new Error(`${where}: status not declared in openapi.json`);
  const { value: declared, at } = resolve<OpenApiResponse>(listed, [
    'paths',
    path,
    method.toLowerCase(),
    'responses',
    String(response.statusCode),
  ]);
  const headerNames = new Set(Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()));
  for (const [name, listedHeader] of Object.entries(declared.headers ?? {})) {
    const { value: header } = resolve<{ required?: boolean }>(listedHeader, []);
    if (header.required && !headerNames.has(name.toLowerCase())) throw new Error(`${where}: no ${name} header`);
  }
  if (!declared.content?.['application/json']?.schema) return;
  const validate = ajv.getSchema(`${DOCUMENT_ID}#/${pointer(...at, 'content', 'application/json', 'schema')}`);
  if (!validate) throw new Error(`${where}: no schema`);
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new Error(`${where}: the body is not JSON: ${response.body.slice(0, 100)}`);
  }
  if (!validate(body)) {
    throw new Error(`${where}: the body does not match openapi.json: ${ajv.errorsText(validate.errors)}`);
  }
};

/**
 * `fetch` of `path` on a running API (npm start, the local API), with the answer checked against
 * the contract for `route` (the route table's path, `{id}` for a parameter; `path` by default),
 * like invoke does for a handler; returns the body text.
 */
export const fetchChecked = async (
  baseUrl: string,
  path: string,
  init: RequestInit = {},
  route = path,
): Promise<{ response: Response; body: string }> => {
  const response = await fetch(`${baseUrl}${path}`, init);
  const body = await response.text();
  assertMatchesContract(init.method ?? 'GET', route, {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body,
  });
  return { response, body };
};

/** An answer for a path no route has (the gateway's 404): still the error envelope. */
export const assertErrorEnvelope = (body: string): void => {
  const validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/ErrorEnvelope`);
  if (!validate?.(JSON.parse(body))) throw new Error(`Not the error envelope: ${body.slice(0, 100)}`);
};
