import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#scripts/local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

/** One DynamoDB Local for the whole run; test files share it and each makes its own tables. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await startDynamoDbLocal({ port: 0 });
  project.provide('dynamoDbEndpoint', db.endpoint);
  return () => db.stop();
}
