/**
 * An AWS-like network for `npm run bench`: TLS in front of a loopback server, and a fixed delay
 * added to every chunk each way. Loopback hides both; in AWS every SDK call pays them.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { promisify } from 'node:util';

export interface ThrowawayCertificate {
  /** PEM of the CA to trust (NODE_EXTRA_CA_CERTS points at `caFile`). */
  ca: string;
  caFile: string;
  key: string;
  cert: string;
}

/**
 * A CA and a certificate for localhost signed by it, made with the openssl CLI in a fresh
 * temporary directory for this run only: nothing is kept, nothing enters the repository.
 */
export const createThrowawayCertificate = async (): Promise<ThrowawayCertificate> => {
  const dir = mkdtempSync(join(tmpdir(), 'mk-auth-bench-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=bench CA');
  await openssl('req', ...ec, '-keyout', 'key.pem', '-out', 'csr.pem', '-subj', '/CN=localhost');
  writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    'csr.pem',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'cert.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  );
  return {
    ca: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    key: readFileSync(file('key.pem'), 'utf8'),
    cert: readFileSync(file('cert.pem'), 'utf8'),
  };
};

/** Writes each chunk `delayMs` after it arrived, in order; the first one `firstExtraMs` later still. */
const delayedPipe = (from: Socket, to: Socket, delayMs: number, firstExtraMs: number) => {
  let due = performance.now() + delayMs + firstExtraMs;
  const later = (write: () => void) => {
    due = Math.max(due, performance.now() + delayMs);
    setTimeout(write, Math.max(0, due - performance.now()));
  };
  from.on('data', (chunk: Buffer) => later(() => to.writable && to.write(chunk)));
  from.on('end', () => later(() => to.end()));
  from.on('error', () => to.destroy());
  to.on('error', () => from.destroy());
};

/**
 * A TLS-terminating proxy on localhost in front of `target` (http://host:port) that adds
 * `delayMs` each way to everything, the TLS handshake included, and one round trip more when a
 * connection opens (TCP's own handshake). It counts the DynamoDB and Secrets Manager operations
 * it forwards (their X-Amz-Target header).
 */
export const startTlsProxy = async (target: string, certificate: ThrowawayCertificate, delayMs: number) => {
  const { hostname, port } = new URL(target);
  const operations = new Map<string, number>();
  const tls = createServer({ key: certificate.key, cert: certificate.cert }, (client) => {
    const upstream = connect(Number(port), hostname);
    client.on('data', (chunk: Buffer) => {
      for (const [, operation] of chunk.toString('latin1').matchAll(/x-amz-target: *[\w.]+\.(\w+)/gi)) {
        if (operation) operations.set(operation, (operations.get(operation) ?? 0) + 1);
      }
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  tls.listen(0, '127.0.0.1');
  await once(tls, 'listening');
  const tlsPort = (tls.address() as AddressInfo).port;
  // The delay sits in front of TLS, so the handshake pays it as it would across a network.
  const front = createNetServer((client) => {
    const inner = connect(tlsPort, '127.0.0.1');
    delayedPipe(client, inner, delayMs, 2 * delayMs);
    delayedPipe(inner, client, delayMs, 0);
  });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  return {
    endpoint: `https://localhost:${(front.address() as AddressInfo).port}`,
    /** Operations forwarded since the last call, by name; resets the count. */
    takeOperations: () => {
      const counted = Object.fromEntries(operations);
      operations.clear();
      return counted;
    },
    close: () => {
      front.close();
      tls.close();
    },
  };
};
