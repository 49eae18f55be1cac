import { once } from 'node:events';
import { createServer } from 'node:http';

/**
 * A stand-in for the Secrets Manager endpoint on loopback, speaking its JSON protocol for
 * GetSecretValue, so the real SDK path (through Powertools Parameters) runs offline. It can be
 * told to fail its first `failFirst` calls, which the real service cannot do on demand.
 */
export const startFakeSecretsManager = async (secrets: Record<string, string>) => {
  const state = { calls: 0, failFirst: 0 };
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    state.calls += 1;
    const target = request.headers['x-amz-target'];
    const secretId = (JSON.parse(body || '{}') as { SecretId?: string }).SecretId ?? '';
    response.setHeader('Content-Type', 'application/x-amz-json-1.1');
    if (!(secretId in secrets)) {
      response.writeHead(400).end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
      return;
    }
    if (state.calls <= state.failFirst || target !== 'secretsmanager.GetSecretValue') {
      response.writeHead(500).end(JSON.stringify({ __type: 'InternalServiceError', message: 'fake failure' }));
      return;
    }
    response.end(
      JSON.stringify({
        ARN: secretId,
        Name: secretId.split(':').at(-1),
        SecretString: secrets[secretId],
        VersionId: 'v1',
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, state, close: () => server.close() };
};
