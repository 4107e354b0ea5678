// Proxies from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, in either case), read once
// when the client is made. The pool connects through them; the request guard needs their host
// names, since a proxy on this machine must stay reachable with the private-network guard on.

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** The proxies `env` names, or null when it names none. */
export function proxyFromEnv(env: Record<string, string | undefined>): ProxySettings | null {
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (!httpProxy && !httpsProxy) return null;
  return {
    httpProxy: httpProxy || undefined,
    httpsProxy: httpsProxy || httpProxy || undefined,
    noProxy: noProxy || undefined,
  };
}

/** The host names of the proxies, lower case, without IPv6 brackets. */
export function proxyHosts(proxy: ProxySettings | null): string[] {
  return [proxy?.httpProxy, proxy?.httpsProxy].flatMap((proxyUrl) => {
    if (!proxyUrl) return [];
    try {
      return [new URL(proxyUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase()];
    } catch {
      return [];
    }
  });
}
