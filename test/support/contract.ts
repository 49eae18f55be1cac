import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import openApiDocument from '#openapi.json' with { type: 'json' };

interface OpenApiResponse {
  headers?: Record<string, { required?: boolean }>;
  content?: { 'application/json'?: { schema?: object } };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
}

const DOCUMENT = openApiDocument as unknown as OpenApiDocument;
const DOCUMENT_ID = 'https://movieknight.site/openapi.json';

// The whole document is one schema resource, so `#/components/schemas/...` references resolve.
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
ajv.addSchema({ $id: DOCUMENT_ID, ...openApiDocument }, DOCUMENT_ID);

const pointer = (...segments: string[]): string =>
  segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export interface ContractResponse {
  statusCode: number;
  headers?: Record<string, unknown> | undefined;
  body: string;
}

/**
 * Checks one response against the committed OpenAPI document (openapi.json): its status is
 * declared for the route (`path` as in the route table), its JSON body validates against that
 * status's schema (an undeclared or missing field fails: the schemas are strict), and every
 * header the document marks required is present. Throws with the reasons otherwise.
 */
export const assertMatchesContract = (method: string, path: string, response: ContractResponse): void => {
  const where = `${method} ${path} ${response.statusCode}`;
  const operation = DOCUMENT.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${path} is not in openapi.json`);
  const declared = operation.responses[String(response.statusCode)];
  if (!declared) throw new Error(`${where}: status not declared in openapi.json`);
  const headerNames = new Set(Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()));
  for (const [name, header] of Object.entries(declared.headers ?? {})) {
    if (header.required && !headerNames.has(name.toLowerCase())) throw new Error(`${where}: no ${name} header`);
  }
  if (!declared.content?.['application/json']?.schema) return;
  const validate = ajv.getSchema(
    `${DOCUMENT_ID}#/${pointer('paths', path, method.toLowerCase(), 'responses', String(response.statusCode), 'content', 'application/json', 'schema')}`,
  );
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
