// Where webhooks may point (api/jobs/targets.ts): public addresses only unless PTD_WEBHOOK_ALLOW lists one; checked
// at submission (with the host resolved) and again when the worker connects (the address it actually resolved).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhook, guardedLookup, nonPublic, parseWebhookAllow, type Resolve } from '../../api/jobs/targets.ts';

const resolveTo = (...addresses: string[]): Resolve => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('non-public addresses', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.10', 'a private address'],
    ['169.254.169.254', 'a link-local address (cloud metadata lives there)'],
    ['100.100.1.1', 'a shared (carrier-grade NAT) address'],
    ['0.0.0.0', 'an unspecified ("this network") address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fd12:3456::1', 'a private (unique local) address'],
    ['fe80::1', 'a link-local address'],
    ['::ffff:127.0.0.1', 'a loopback address'], // IPv4-mapped
    ['::ffff:a00:1', 'a private address'],
    ['64:ff9b::a9fe:a9fe', 'a link-local address (cloud metadata lives there)'], // NAT64 of 169.254.169.254
    ['2002:c0a8:1::1', 'a private address'], // 6to4 of 192.168.0.1
  ])('%s is %s', (address, what) => {
    expect(nonPublic(address)).toBe(what);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '64:ff9b::808:808'])('%s is public', (address) => {
    expect(nonPublic(address)).toBeUndefined();
  });
});

describe('checkWebhook (at submission)', () => {
  const none = parseWebhookAllow(undefined);

  it('refuses loopback, private and link-local targets, as literals (any spelling) or by what the host resolves to', async () => {
    await expect(checkWebhook('http://127.0.0.1:9000/hook', none)).rejects.toThrow(
      /127\.0\.0\.1 is a loopback address; webhooks go to public addresses only, unless PTD_WEBHOOK_ALLOW lists it \(e\.g\. PTD_WEBHOOK_ALLOW=127\.0\.0\.1\)/,
    );
    await expect(checkWebhook('http://2130706433/hook', none)).rejects.toThrow(/127\.0\.0\.1 is a loopback address/);
    await expect(checkWebhook('http://0x7f.1/hook', none)).rejects.toThrow(/loopback/);
    await expect(checkWebhook('http://[::1]/hook', none)).rejects.toThrow(/::1 is a loopback address/);
    await expect(checkWebhook('http://169.254.169.254/latest/meta-data', none)).rejects.toThrow(/link-local/);
    await expect(checkWebhook('http://localhost:8080/hook', none)).rejects.toThrow(/\(localhost resolves to it\)/);
    // one private address among the answers is enough to refuse (the connection could pick it)
    await expect(checkWebhook('https://hooks.example.com/x', none, resolveTo('93.184.216.34', '10.0.0.7'))).rejects.toThrow(
      /10\.0\.0\.7 is a private address \(hooks\.example\.com resolves to it\)/,
    );
    await expect(checkWebhook('https://nowhere.invalid/x', none, async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })))).rejects.toThrow(
      /nowhere\.invalid does not resolve \(ENOTFOUND\)/,
    );
  });

  it('accepts public targets, and what PTD_WEBHOOK_ALLOW lists: addresses, ranges, host names or *', async () => {
    await expect(checkWebhook('https://hooks.example.com/x', none, resolveTo('93.184.216.34'))).resolves.toBeUndefined();
    const allow = parseWebhookAllow('127.0.0.1, 10.0.0.0/8, fd00::/8, Hooks.Internal');
    await expect(checkWebhook('http://127.0.0.1:9000/hook', allow)).resolves.toBeUndefined();
    await expect(checkWebhook('http://10.9.8.7/hook', allow)).resolves.toBeUndefined();
    await expect(checkWebhook('http://[fd00::5]/hook', allow)).resolves.toBeUndefined();
    await expect(checkWebhook('http://hooks.internal/hook', allow, resolveTo('192.168.1.1'))).resolves.toBeUndefined();
    await expect(checkWebhook('http://127.0.0.2/hook', allow)).rejects.toThrow(/loopback/);
    await expect(checkWebhook('http://192.168.1.1/hook', allow)).rejects.toThrow(/private/);
    await expect(checkWebhook('http://192.168.1.1/hook', parseWebhookAllow('*'))).resolves.toBeUndefined();
    expect(() => parseWebhookAllow('10.0.0.0/99')).toThrow(/bad prefix/);
    expect(() => parseWebhookAllow('host.example/8')).toThrow(/not an address range/);
  });
});

describe('guardedLookup (when the worker connects)', () => {
  let server: Server;
  let port: number;
  let calls = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      calls++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (policy: ReturnType<typeof parseWebhookAllow>) =>
    fetchWithLookup(`http://localhost:${port}/`, guardedLookup(policy));

  it('refuses a host name that resolves to a loopback address, before any byte is sent', async () => {
    await expect(get(parseWebhookAllow(undefined))).rejects.toThrow(/127\.0\.0\.1 is a loopback address \(localhost resolves to it\)/);
    expect(calls).toBe(0);
  });

  it('connects when the policy allows the host or its address', async () => {
    expect(await get(parseWebhookAllow('localhost'))).toBe(200);
    expect(await get(parseWebhookAllow('127.0.0.0/8'))).toBe(200);
    expect(calls).toBe(2);
  });
});

async function fetchWithLookup(url: string, lookup: ReturnType<typeof guardedLookup>): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { lookup: lookup as never, family: 4 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
