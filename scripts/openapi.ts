/** `npm run openapi`: writes the API's OpenAPI 3.1 document to openapi.json (committed). */
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from './openapi/document.ts';

export const OPENAPI_FILE = 'openapi.json';

writeFileSync(OPENAPI_FILE, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`Wrote ${OPENAPI_FILE}`);
