import type { Context } from 'hono';

/** The Node adapter's bindings (absent when a test calls `app.request`). */
interface NodeBindings {
  readonly incoming?: { readonly socket?: { readonly remoteAddress?: string } };
}

/**
 * The caller's IP address: the socket's peer, or, when a reverse proxy we trust sits in front,
 * the address that proxy appended last to X-Forwarded-For (earlier entries are the client's own
 * claims). Null when unknown.
 */
export function clientAddress(c: Context, options: { trustProxy: boolean }): string | null {
  if (options.trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded
      ?.split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .pop();
    if (last !== undefined) return unmapIpv4(last);
  }
  const address = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress;
  return address === undefined ? null : unmapIpv4(address);
}

/** Whether the caller reached us over https (directly, or through a trusted proxy that says so). */
export function isHttps(c: Context, options: { trustProxy: boolean }): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  if (!options.trustProxy) return false;
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
