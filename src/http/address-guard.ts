// The private-network guard: refuses loopback, private, link-local, unique-local, CGNAT and
// other non-public addresses, so a hostile URL (or a redirect, or a DNS answer rebinding a
// public name to 127.0.0.1) cannot make Harvester talk to the machine it runs on or its LAN,
// e.g. a cloud metadata service at 169.254.169.254. It is checked on IP-literal hosts before
// any connection, and on the *resolved* address through a `lookup` wrapper given to undici's
// connector, so every connection (first hop and each redirect) passes through it.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { PrivateNetworkError } from '../core/errors.ts';

const HINT = 'set ALLOW_PRIVATE_NETWORKS=true to allow it';

/** IPv4 ranges that are not the public internet: [first octets as a number, prefix length]. */
const V4_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

function v4ToNumber(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

const V4_RANGES = V4_BLOCKED.map(([base, bits]) => {
  const size = 2 ** (32 - bits);
  const start = v4ToNumber(base)!;
  return { start, end: start + size - 1 };
});

function isPrivateV4(ip: string): boolean {
  const n = v4ToNumber(ip);
  if (n === null) return true; // unparseable: refuse rather than guess
  return V4_RANGES.some((r) => n >= r.start && n <= r.end);
}

/** The eight 16-bit groups of an IPv6 address, or null when it does not parse. */
function v6Groups(ip: string): number[] | null {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted IPv4 (::ffff:127.0.0.1) becomes two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const n = v4ToNumber(tail);
    if (n === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
    return groups.some(Number.isNaN) ? null : groups;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - rest.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...rest];
}

function isPrivateV6(ip: string): boolean {
  const g = v6Groups(ip);
  if (!g) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const v4 = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const embeddedV4 = v4(g6, g7);
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
  if (zeroPrefix && g5 === 0xffff) return isPrivateV4(embeddedV4); // IPv4-mapped ::ffff:a.b.c.d
  if (zeroPrefix && g5 === 0) return isPrivateV4(embeddedV4); // IPv4-compatible (deprecated)
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT).
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return isPrivateV4(embeddedV4);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isPrivateV4(embeddedV4); // NAT64 64:ff9b::/96
  // Local-use NAT64 64:ff9b:1::/48: the operator picks where the IPv4 sits, and it is never the public internet.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true;
  if (g0 === 0x2002) return isPrivateV4(v4(g1, g2)); // 6to4 2002:aabb:ccdd::/48
  // Teredo 2001:0::/32: the server's IPv4 in bits 32-63, the client's inverted in the last 32.
  if (g0 === 0x2001 && g1 === 0) return isPrivateV4(v4(g2, g3)) || isPrivateV4(v4(~g6 & 0xffff, ~g7 & 0xffff));
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local (deprecated) fec0::/10
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique-local fc00::/7
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  return false;
}

/** True for an address Harvester must not connect to with the guard on (any IP string; non-IPs are refused too). */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare.split('%')[0]!);
  if (family === 4) return isPrivateV4(bare);
  if (family === 6) return isPrivateV6(bare);
  return true;
}

export interface GuardOptions {
  /** Lifts the guard (ALLOW_PRIVATE_NETWORKS=true). */
  allowPrivateNetworks: boolean;
  /** Host names (as in URL.hostname, lower case, IPv6 without brackets) exempt from the guard: tests use it to reach their own server while still catching a redirect elsewhere. */
  allowHosts?: readonly string[];
  /**
   * Host names exempt only as the address a connection is made to (the configured proxy), never
   * as a request target: a proxy on 127.0.0.1 must not make every URL on 127.0.0.1 fetchable.
   */
  connectHosts?: readonly string[];
}

function bareHostname(hostname: string): string {
  const h = hostname.toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Whether a request TARGET is exempt (the proxy's host never is). */
function isExempt(hostname: string, options: GuardOptions): boolean {
  return options.allowPrivateNetworks || (options.allowHosts?.includes(bareHostname(hostname)) ?? false);
}

/** Whether a CONNECTION to this host is exempt: a target that is, or the proxy itself. */
function isConnectExempt(hostname: string, options: GuardOptions): boolean {
  return isExempt(hostname, options) || (options.connectHosts?.includes(bareHostname(hostname)) ?? false);
}

/**
 * Checks a URL before any connection: an IP-literal host in a non-public range is refused
 * here (no DNS is involved, so the lookup wrapper would never see it).
 */
export function assertPublicUrl(url: URL, options: GuardOptions): void {
  if (isExempt(url.hostname, options)) return;
  const host = bareHostname(url.hostname);
  if (isIP(host) !== 0 && isPrivateAddress(host)) {
    throw new PrivateNetworkError(`refused ${url.origin}: ${host} is a private or loopback address (${HINT})`);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** The shape of `dns.lookup` as net.connect calls it. */
export type LookupFunction = (hostname: string, options: object, callback: LookupCallback) => void;

/**
 * A `lookup` for net.connect that resolves with `resolve` (default dns.lookup) and refuses
 * the connection if any resolved address is non-public: checking the address actually
 * connected to is what defeats DNS rebinding.
 */
export function guardedLookup(
  options: GuardOptions,
  resolve: LookupFunction = dnsLookup as unknown as LookupFunction,
): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, lookupOptions, (error, address, family) => {
      if (error || isConnectExempt(hostname, options)) {
        callback(error, address, family);
        return;
      }
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const refused = addresses.find((a) => isPrivateAddress(a));
      if (refused !== undefined) {
        callback(
          new PrivateNetworkError(
            `refused ${hostname}: it resolves to the private or loopback address ${refused} (${HINT})`,
          ),
          address,
          family,
        );
        return;
      }
      callback(null, address, family);
    });
  };
}

function resolveAll(resolve: LookupFunction, hostname: string, signal: AbortSignal | undefined): Promise<string[]> {
  return new Promise((done, fail) => {
    if (signal?.aborted) {
      fail(signal.reason);
      return;
    }
    // dns.lookup cannot be cancelled: on abort we stop waiting and ignore its late answer.
    const onAbort = (): void => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    resolve(hostname, { all: true }, (error, address) => {
      signal?.removeEventListener('abort', onAbort);
      if (error) fail(error);
      else done(Array.isArray(address) ? address.map((a) => a.address) : [address]);
    });
  });
}

/**
 * Checks a request target that goes through a proxy, before the request is sent: the proxy
 * resolves the name, so the connect-time lookup wrapper never sees it, and a name such as
 * `localhost` or one pointing at 10.x/169.254.x would otherwise be fetched. The name is
 * resolved here (all addresses) and refused if any answer is non-public. A lookup failure
 * is thrown as it is (fail closed). The proxy may resolve differently a moment later (DNS
 * rebinding cannot be fully ruled out through a proxy); this closes the plain walk-around.
 */
export async function assertPublicHost(
  url: URL,
  options: GuardOptions,
  resolve: LookupFunction = dnsLookup as unknown as LookupFunction,
  signal?: AbortSignal,
): Promise<void> {
  assertPublicUrl(url, options);
  if (isExempt(url.hostname, options)) return;
  const host = bareHostname(url.hostname);
  if (isIP(host) !== 0) return; // an IP literal was checked above, without DNS
  const addresses = await resolveAll(resolve, host, signal);
  if (addresses.length === 0) {
    throw new PrivateNetworkError(
      `refused ${url.origin}: ${host} resolved to no address, so it cannot be checked (${HINT})`,
    );
  }
  const refused = addresses.find((a) => isPrivateAddress(a));
  if (refused !== undefined) {
    throw new PrivateNetworkError(
      `refused ${url.origin}: ${host} resolves to the private or loopback address ${refused} (${HINT})`,
    );
  }
}
