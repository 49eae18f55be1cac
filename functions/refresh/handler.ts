import { readRefreshConfig } from '#lib/function-config.ts';
import { createRefreshHandler } from './create-handler.ts';
import { createRefreshHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: `POST /api/auth/refresh` (API Gateway REST API, proxy integration).
 * Built once per container, at init, and reused by every warm invocation.
 */
export const handler = createRefreshHandler(createRefreshHandlerDependencies(readRefreshConfig()));
