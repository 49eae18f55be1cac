import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BOUNDED_CLIENT_CONFIG } from './sdk-config.ts';

export interface DynamoDbOptions {
  /** DynamoDB Local's URL; unset in AWS. */
  endpoint: string | undefined;
  /**
   * Replaces the bounded request timeout: for setup work (creating tables, waiting for DynamoDB
   * Local to start), never for a request path.
   */
  setupRequestTimeoutMs?: number;
}

/**
 * The document client every adapter shares, built once per container, with bounded
 * timeouts and attempts (see BOUNDED_CLIENT_CONFIG).
 */
export const createDocumentClient = ({ endpoint, setupRequestTimeoutMs }: DynamoDbOptions): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...BOUNDED_CLIENT_CONFIG,
      ...(setupRequestTimeoutMs && {
        requestHandler: { ...BOUNDED_CLIENT_CONFIG.requestHandler, requestTimeout: setupRequestTimeoutMs },
      }),
      ...(endpoint && {
        endpoint,
        // DynamoDB Local accepts any credentials; real ones are neither needed nor sent.
        region: process.env.AWS_REGION ?? 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
