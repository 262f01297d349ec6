// Which addresses a webhook may call. Whoever submits a job picks its webhook URL, and the worker then POSTs there
// from inside the network it runs in: without a policy, a job (or any web page, on a keyless server) could make the
// worker call the machine's own services, the local network or a cloud metadata endpoint. By default only public
// addresses are called; PTD_WEBHOOK_ALLOW lists exceptions: `*`, addresses or CIDR ranges (`127.0.0.1`,
// `10.0.0.0/8`, `fd00::/8`) or host names (`hooks.internal`, allowed whatever they resolve to).
// Checked twice: when the job is submitted (a clear 400) and when the worker connects (the resolved address is
// checked again at that moment, so a name that changes its answer in between is still refused).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export interface WebhookPolicy {
  /** PTD_WEBHOOK_ALLOW=*: every address. */
  any: boolean;
  /** Host names allowed whatever they resolve to (lower case). */
  hosts: ReadonlySet<string>;
  /** Addresses and ranges allowed although not public. */
  addresses: BlockList;
  /** The setting as given, for messages. */
  raw: string;
}

/** Address ranges that are not the public internet, with what they are. */
const NOT_PUBLIC: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (cloud metadata lives there)'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['fec0::', 10, 'ipv6', 'a private (site-local) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
  ['100::', 64, 'ipv6', 'a discard address'],
];
const RANGES = NOT_PUBLIC.map(([net, prefix, family, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, what };
});

export function parseWebhookAllow(raw: string | undefined): WebhookPolicy {
  const hosts = new Set<string>();
  const addresses = new BlockList();
  let any = false;
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    if (entry === '*') {
      any = true;
      continue;
    }
    const [net, bits] = entry.split('/');
    const address = net!.replace(/^\[|\]$/g, '');
    const family = isIP(address);
    if (family === 0) {
      if (bits !== undefined) throw new Error(`PTD_WEBHOOK_ALLOW: "${entry}" is not an address range`);
      hosts.add(entry.toLowerCase());
      continue;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) addresses.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`PTD_WEBHOOK_ALLOW: bad prefix in "${entry}"`);
      addresses.addSubnet(address, prefix, type);
    }
  }
  return { any, hosts, addresses, raw: raw ?? '' };
}

/** What a non-public address is ("a loopback address"), or undefined for a public one. IPv4 inside IPv6 is checked as IPv4. */
export function nonPublic(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const r of RANGES) if (r.list.check(address, type)) return r.what;
  if (family === 6) {
    const embedded = embeddedIpv4(address);
    if (embedded) return nonPublic(embedded);
  }
  return undefined;
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address (mapped ones BlockList handles). */
function embeddedIpv4(address: string): string | undefined {
  const words = expandIpv6(address);
  if (!words) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)) return v4(words[6]!, words[7]!);
  if (words[0] === 0x2002) return v4(words[1]!, words[2]!);
  return undefined;
}

function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const words = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

function allowedAddress(policy: WebhookPolicy, address: string): boolean {
  return policy.any || policy.addresses.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6') || nonPublic(address) === undefined;
}

/** The refusal message for `address`, or undefined when it may be called. */
function refusal(policy: WebhookPolicy, host: string, address: string): string | undefined {
  if (allowedAddress(policy, address)) return undefined;
  const via = host === address ? '' : ` (${host} resolves to it)`;
  return `${address} is ${nonPublic(address)}${via}; webhooks go to public addresses only, unless PTD_WEBHOOK_ALLOW lists it (e.g. PTD_WEBHOOK_ALLOW=${address})`;
}

export class WebhookRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookRefused';
  }
}

export type Resolve = (host: string) => Promise<LookupAddress[]>;
const systemResolve: Resolve = (host) => dns.lookup(host, { all: true, verbatim: true });

/** The host of a URL as the connection will use it (IPv6 without brackets, numeric IPv4 forms canonical). */
function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** Checks a webhook URL at submission: resolves its host and refuses non-public addresses not allowed. */
export async function checkWebhook(url: string, policy: WebhookPolicy, resolve: Resolve = systemResolve, timeoutMs = 5_000): Promise<void> {
  const host = hostOf(url);
  if (policy.any || policy.hosts.has(host)) return;
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        resolve(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      addresses = found.map((a) => a.address);
    } catch (err) {
      throw new WebhookRefused(`${host} does not resolve (${(err as { code?: string }).code ?? (err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
  }
  for (const a of addresses) {
    const why = refusal(policy, host, a);
    if (why) throw new WebhookRefused(why);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses non-public addresses not allowed, at connection time. IP literals are
 * not looked up by Node: check them with `checkLiteral` first.
 */
export function guardedLookup(policy: WebhookPolicy) {
  return (hostname: string, options: { all?: boolean } & object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '');
      const host = hostname.toLowerCase();
      const ok = policy.any || policy.hosts.has(host) ? found : found.filter((a) => refusal(policy, host, a.address) === undefined);
      if (ok.length === 0) {
        return callback(Object.assign(new WebhookRefused(refusal(policy, host, found[0]!.address) ?? 'refused'), { code: 'EWEBHOOKREFUSED' }), '');
      }
      if (options.all) callback(null, ok);
      else callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

/** Refuses a URL whose host is a non-public IP literal not allowed (these skip `lookup`). */
export function checkLiteral(url: string, policy: WebhookPolicy): void {
  const host = hostOf(url);
  if (!isIP(host) || policy.any) return;
  const why = refusal(policy, host, host);
  if (why) throw new WebhookRefused(why);
}
