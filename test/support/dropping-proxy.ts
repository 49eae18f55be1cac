import { once } from 'node:events';
import { createServer, request } from 'node:http';

/**
 * An HTTP proxy on loopback in front of DynamoDB Local that, for the first `drops` requests whose
 * operation is `operation`, forwards the request, lets DynamoDB apply it, and then drops the
 * connection instead of answering: a write that landed while its answer was lost, as a timeout on
 * the way back makes it. The SDK then sends it again, as it does in AWS. Every other request passes.
 */
export const startDroppingProxy = async (upstream: string, operation: string, drops = 1) => {
  const target = new URL(upstream);
  let dropped = 0;
  const seen: string[] = [];
  const server = createServer((incoming, outgoing) => {
    const name =
      String(incoming.headers['x-amz-target'] ?? '')
        .split('.')
        .at(-1) ?? '';
    seen.push(name);
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        if (name === operation && dropped < drops) {
          dropped += 1;
          answer.resume();
          answer.on('end', () => outgoing.socket?.destroy());
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.socket?.destroy());
    incoming.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** The operations seen, in order (`TransactWriteItems`, `Query`, ...). */
    seen: () => [...seen],
    dropped: () => dropped,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};
