import { readMeConfig } from '#lib/function-config.ts';
import { createMeHandler } from './create-handler.ts';
import { createMeHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: `GET /api/auth/me` (API Gateway REST API, proxy integration).
 * Built once per container, at init, and reused by every warm invocation.
 */
export const handler = createMeHandler(createMeHandlerDependencies(readMeConfig()));
