import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig, variables } from './config.ts';
import { ConfigError } from './errors.ts';
import { readFileSync } from 'node:fs';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({}, { cwd: '/srv/pw' });
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      bodyLimitBytes: 1048576,
      trustProxy: false,
    });
    expect(config.auth).toEqual({
      sessionTtlMs: 12 * 3_600_000,
      sessionCookieSecure: false,
      loginWindowMs: 15 * 60_000,
      loginMaxFailuresPerEmail: 5,
      loginMaxFailuresPerIp: 20,
    });
    expect(config.dataDir).toBe('/srv/pw/.data');
    expect(config.databaseUrl).toBeNull();
    expect(config.mqtt.url).toBeNull();
    expect(config.demoSeed).toBe(true);
    expect(config.logLevel).toBe('info');
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PW_HTTP_PORT: '9000',
      DATABASE_URL: 'postgres://u:secret@db:5432/pw',
      MQTT_URL: 'mqtts://broker:8883',
      PW_DEMO_SEED: 'false',
      PW_LOG_LEVEL: 'debug',
      PW_DATA_DIR: '/var/lib/pw',
    });
    expect(config.http.port).toBe(9000);
    expect(config.databaseUrl).toBe('postgres://u:secret@db:5432/pw');
    expect(config.mqtt.url).toBe('mqtts://broker:8883');
    expect(config.demoSeed).toBe(false);
    expect(config.logLevel).toBe('debug');
    expect(config.dataDir).toBe('/var/lib/pw');
  });

  it('reads the login and session settings', () => {
    const config = loadConfig({
      PW_HTTP_TRUST_PROXY: 'true',
      PW_SESSION_TTL_MS: '3600000',
      PW_SESSION_COOKIE_SECURE: 'true',
      PW_LOGIN_WINDOW_MS: '60000',
      PW_LOGIN_MAX_FAILURES_PER_EMAIL: '3',
      PW_LOGIN_MAX_FAILURES_PER_IP: '10',
    });
    expect(config.http.trustProxy).toBe(true);
    expect(config.auth).toEqual({
      sessionTtlMs: 3_600_000,
      sessionCookieSecure: true,
      loginWindowMs: 60_000,
      loginMaxFailuresPerEmail: 3,
      loginMaxFailuresPerIp: 10,
    });
    expect(() =>
      loadConfig({ PW_SESSION_TTL_MS: '5', PW_LOGIN_MAX_FAILURES_PER_EMAIL: '0' }),
    ).toThrow(
      /PW_SESSION_TTL_MS: expected milliseconds 60000-2592000000, got "5"\n.*PW_LOGIN_MAX_FAILURES_PER_EMAIL: expected integer 1-1000, got "0"/,
    );
  });

  it('reports every problem at once, naming variable, rule and value', () => {
    let error: unknown;
    try {
      loadConfig({
        PW_HTTP_PORT: 'abc',
        PW_MQTT_PORT: '70000',
        DATABASE_URL: 'mysql://x',
        PW_DEMO_SEED: 'yes',
        PW_LOG_LEVEL: 'loud',
        PW_SHUTDOWN_TIMEOUT_MS: '-5',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PW_HTTP_PORT: expected integer 0-65535, got "abc"',
      'DATABASE_URL: expected a URL with scheme postgres or postgresql, got "mysql://x"',
      'PW_MQTT_PORT: expected integer 0-65535, got "70000"',
      'PW_DEMO_SEED: expected true or false, got "yes"',
      'PW_LOG_LEVEL: expected one of debug, info, warn, error, got "loud"',
      'PW_SHUTDOWN_TIMEOUT_MS: expected milliseconds 0-600000, got "-5"',
    ]);
  });

  it('reads the Chromium that prints report PDFs, unset by default', () => {
    expect(loadConfig({}).report.chromiumPath).toBeNull();
    expect(loadConfig({ PW_CHROMIUM_PATH: '' }).report.chromiumPath).toBeNull();
    expect(
      loadConfig({ PW_CHROMIUM_PATH: '/opt/chrome/chrome' }, { cwd: '/srv/pw' }).report
        .chromiumPath,
    ).toBe('/opt/chrome/chrome');
    expect(
      loadConfig({ PW_CHROMIUM_PATH: 'browsers/chromium' }, { cwd: '/srv/pw' }).report.chromiumPath,
    ).toBe('/srv/pw/browsers/chromium');
  });

  it('returns a frozen config', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('masks passwords when redacted', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:secret@db:5432/pw' });
    expect(redactConfig(config).databaseUrl).toBe('postgres://u:***@db:5432/pw');
  });

  it('documents every variable in .env.example with its default', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const [name, variable] of Object.entries(variables)) {
      const line = example.split('\n').find((l) => l.replace(/^#\s*/, '').startsWith(`${name}=`));
      expect(line, `${name} missing from .env.example`).toBeDefined();
      expect(line?.replace(/^#\s*/, '')).toBe(`${name}=${variable.default ?? ''}`);
    }
  });
});
