import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';

interface Secret {
  /** Version id to value; a version SM created for a rotation has no value until createSecret puts one. */
  values: Map<string, string | undefined>;
  /** Staging label (AWSCURRENT, AWSPENDING, AWSPREVIOUS) to version id. */
  stages: Map<string, string>;
  rotationEnabled: boolean;
}

type Request = {
  SecretId?: string;
  VersionId?: string;
  VersionStage?: string;
  SecretString?: string;
  ClientRequestToken?: string;
  VersionStages?: string[];
  MoveToVersionId?: string;
  RemoveFromVersionId?: string;
};

/**
 * A Secrets Manager on loopback, speaking its JSON protocol for the calls this service makes
 * (GetSecretValue, PutSecretValue, DescribeSecret, UpdateSecretVersionStage) with versions and
 * staging labels, so the real SDK path runs offline: the functions' reads (lib/aws/secrets.ts), the
 * key setup and the rotation steps. It can fail its first `failFirst` calls, which the real service
 * cannot do on demand.
 */
export const startFakeSecretsManager = async (initial: Record<string, string>) => {
  const state = { calls: 0, failFirst: 0 };
  const secrets = new Map<string, Secret>(
    Object.entries(initial).map(([id, value]) => [
      id,
      { values: new Map([['v1', value]]), stages: new Map([['AWSCURRENT', 'v1']]), rotationEnabled: true },
    ]),
  );
  const send = (response: ServerResponse, status: number, body: unknown) =>
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  const notFound = (response: ServerResponse, message: string) =>
    send(response, 400, { __type: 'ResourceNotFoundException', message });
  const stagesOf = (secret: Secret, versionId: string) =>
    [...secret.stages].filter(([, id]) => id === versionId).map(([stage]) => stage);
  const label = (secret: Secret, stage: string, versionId: string) => {
    if (stage === 'AWSCURRENT') {
      const previous = secret.stages.get('AWSCURRENT');
      if (previous && previous !== versionId) secret.stages.set('AWSPREVIOUS', previous);
    }
    secret.stages.set(stage, versionId);
  };

  const server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    state.calls += 1;
    const action = String(request.headers['x-amz-target']).replace('secretsmanager.', '');
    const body = JSON.parse(text || '{}') as Request;
    const secret = secrets.get(body.SecretId ?? '');
    if (state.calls <= state.failFirst)
      return send(response, 500, { __type: 'InternalServiceError', message: 'fake failure' });
    if (!secret) return notFound(response, 'no such secret');

    switch (action) {
      case 'GetSecretValue': {
        const versionId = body.VersionId ?? secret.stages.get(body.VersionStage ?? 'AWSCURRENT');
        if (!versionId || (body.VersionStage && secret.stages.get(body.VersionStage) !== versionId)) {
          return notFound(response, 'no such version');
        }
        const value = secret.values.get(versionId);
        if (value === undefined) return notFound(response, 'version has no value');
        return send(response, 200, {
          ARN: body.SecretId,
          Name: body.SecretId?.split(':').at(-1),
          SecretString: value,
          VersionId: versionId,
          VersionStages: stagesOf(secret, versionId),
        });
      }
      case 'PutSecretValue': {
        const versionId = body.ClientRequestToken ?? randomUUID();
        secret.values.set(versionId, body.SecretString);
        for (const stage of body.VersionStages ?? ['AWSCURRENT']) label(secret, stage, versionId);
        return send(response, 200, {
          ARN: body.SecretId,
          VersionId: versionId,
          VersionStages: stagesOf(secret, versionId),
        });
      }
      case 'DescribeSecret':
        return send(response, 200, {
          ARN: body.SecretId,
          RotationEnabled: secret.rotationEnabled,
          VersionIdsToStages: Object.fromEntries([...secret.values.keys()].map((id) => [id, stagesOf(secret, id)])),
        });
      case 'UpdateSecretVersionStage': {
        if (body.RemoveFromVersionId && secret.stages.get(body.VersionStage ?? '') !== body.RemoveFromVersionId) {
          return send(response, 400, { __type: 'InvalidParameterException', message: 'stage is not on that version' });
        }
        label(secret, body.VersionStage ?? '', body.MoveToVersionId ?? '');
        if (body.VersionStage === 'AWSCURRENT' && secret.stages.get('AWSPENDING') === body.MoveToVersionId) {
          secret.stages.delete('AWSPENDING');
        }
        return send(response, 200, { ARN: body.SecretId });
      }
      default:
        return send(response, 400, { __type: 'InvalidRequestException', message: `unsupported ${action}` });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    state,
    /** The current value of a secret. */
    current: (id: string) => {
      const secret = secrets.get(id);
      return secret?.values.get(secret.stages.get('AWSCURRENT') ?? '');
    },
    /** What an operator's PutSecretValue does: a new current version. */
    put: (id: string, value: string) => {
      const secret = secrets.get(id);
      if (!secret) throw new Error(`no secret ${id}`);
      const versionId = randomUUID();
      secret.values.set(versionId, value);
      label(secret, 'AWSCURRENT', versionId);
    },
    /** What RotateSecret does before it calls the rotation function: a pending version, no value yet. */
    startRotation: (id: string): string => {
      const secret = secrets.get(id);
      if (!secret) throw new Error(`no secret ${id}`);
      const token = randomUUID();
      secret.values.set(token, undefined);
      secret.stages.set('AWSPENDING', token);
      return token;
    },
    /** A secret whose rotation was never turned on (or was turned off). */
    disableRotation: (id: string) => {
      const secret = secrets.get(id);
      if (!secret) throw new Error(`no secret ${id}`);
      secret.rotationEnabled = false;
    },
    /** What CancelRotateSecret leaves: no pending version. */
    cancelRotation: (id: string) => {
      secrets.get(id)?.stages.delete('AWSPENDING');
    },
    close: () => server.close(),
  };
};
