/**
 * The floor the login bundle is measured against (`npm run bench`): the design's packages alone,
 * doing what a login needs of each and nothing else. The DynamoDB document client with Query and
 * Get, middy core with the JSON body parser, bcryptjs, jose and valibot. No logger, metrics,
 * secrets client, security headers or CORS: whatever the login bundle weighs above this is ours
 * to justify, KB by KB (README, Performance).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { importJWK, type JWK, SignJWT } from 'jose';
import * as v from 'valibot';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const BodySchema = v.object({ emailOrUsername: v.pipe(v.string(), v.maxLength(254)), password: v.string() });

/** A login with nothing around it: validate, read, compare, sign. */
export const handler = middy<APIGatewayProxyEvent & { body: unknown }, APIGatewayProxyResult>()
  .use(httpJsonBodyParser())
  .handler(async (event) => {
    const body = v.parse(BodySchema, event.body);
    const [{ Items = [] }, { Item }] = await Promise.all([
      client.send(
        new QueryCommand({
          TableName: process.env.USERS_TABLE_NAME,
          IndexName: 'username-index',
          KeyConditionExpression: 'username = :v',
          ExpressionAttributeValues: { ':v': body.emailOrUsername },
          Limit: 2,
        }),
      ),
      client.send(
        new GetCommand({ TableName: process.env.ATTEMPTS_TABLE_NAME, Key: { key: 'k' }, ConsistentRead: true }),
      ),
    ]);
    const user = Items[0];
    if (!(await bcrypt.compare(body.password, String(user?.passwordHash ?? ''))) || Item) {
      return { statusCode: 401, body: '{}' };
    }
    const token = await new SignJWT()
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject(String(user?.id))
      .sign(await importJWK(JSON.parse(process.env.FLOOR_SIGNING_KEY ?? '{}') as JWK, 'RS256'));
    return { statusCode: 200, body: JSON.stringify({ token }) };
  });
