import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './sign-webhook.ts';

describe('signWebhook', () => {
  const secret = 'whsec_test';
  const body = '{"event":{"id":"1"}}';

  it('is the hex HMAC-SHA256 of "<t>.<body>" with the timestamp', () => {
    const expected = createHmac('sha256', secret).update(`1763820000.${body}`).digest('hex');
    expect(signWebhook(secret, body, 1763820000)).toBe(`t=1763820000,v1=${expected}`);
  });

  it('verifies, and refuses another body, secret or a stale timestamp', () => {
    const header = signWebhook(secret, body, 1763820000);
    expect(verifyWebhookSignature(secret, body, header, { nowS: 1763820010 })).toBe(true);
    expect(verifyWebhookSignature(secret, `${body} `, header, { nowS: 1763820010 })).toBe(false);
    expect(verifyWebhookSignature('whsec_other', body, header, { nowS: 1763820010 })).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, { nowS: 1763820000 + 301 })).toBe(false);
    expect(verifyWebhookSignature(secret, body, 'v1=abc', { nowS: 1763820000 })).toBe(false);
    expect(verifyWebhookSignature(secret, body, 'garbage', { nowS: 1763820000 })).toBe(false);
  });
});
