import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { freePort } from '#scripts/local/free-port.ts';

export type FakeDynamoDbMode = 'stall' | 'throttle' | 'server-error';

/**
 * A DynamoDB endpoint on loopback that fails the way the real one can but will not on demand:
 * it accepts connections and never answers (`stall`), or answers every request with throttling
 * or a 500. Raw sockets, so the SDK's own HTTP handling meets it.
 */
export const startFakeDynamoDb = async (mode: FakeDynamoDbMode) => {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', () => {
      requests += 1;
      if (mode === 'stall') return;
      const [status, type] =
        mode === 'throttle'
          ? ['400 Bad Request', 'ThrottlingException']
          : ['500 Internal Server Error', 'InternalServerError'];
      const body = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${type}`,
        message: 'fake failure detail',
      });
      socket.write(
        `HTTP/1.1 ${status}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
};

/** A loopback port with nothing listening: connections are refused at once. */
export const closedPortEndpoint = async (): Promise<string> => `http://127.0.0.1:${await freePort()}`;
