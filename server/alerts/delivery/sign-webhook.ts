import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `X-PledgeWatch-Signature` header of a webhook: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" with the subscription's signing secret>`. The timestamp lets a receiver refuse
 * replays older than a few minutes.
 *
 * @example signWebhook('whsec_…', '{"event":…}', 1763820000) // 't=1763820000,v1=5f2c…'
 */
export function signWebhook(secret: string, body: string, timestampS: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

/**
 * A receiver's check of a signature header (the code the README shows): the HMAC must match and
 * the timestamp must be within `toleranceS` of `nowS`.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  options: { nowS?: number; toleranceS?: number } = {},
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - t) > (options.toleranceS ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
