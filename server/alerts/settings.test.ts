import { describe, expect, it } from 'vitest';
import { checkRuleParams, getRule, rules } from './rules/registry.ts';
import { RuleSettings } from './settings.ts';

describe('rule registry', () => {
  it('lists every rule of the issue once, each with durations and bounds for all its params', () => {
    expect(rules.map((r) => r.kind).sort()).toEqual([
      'battery_low',
      'cannot_verify',
      'collateral_coverage_below_threshold',
      'crop_mismatch',
      'early_harvest',
      'herd_count_below_pledge',
      'mass_exit',
      'planted_area_short',
      'tag_double_pledged',
      'tag_outside_geofence',
      'tag_silent',
      'tags_cameras_disagree',
      'temperature_out_of_range',
      'vegetation_loss',
    ]);
    for (const rule of rules) {
      expect(Object.keys(rule.bounds).sort(), rule.kind).toEqual(Object.keys(rule.defaults).sort());
      for (const [key, [min, max]] of Object.entries(rule.bounds)) {
        const value = rule.defaults[key] ?? NaN;
        expect(value >= min && value <= max, `${rule.kind}.${key} default in range`).toBe(true);
      }
    }
    expect(getRule('tag_silent').scopes).toContain('ear_tag');
  });
  it('names unknown rules, unknown params and values out of range', () => {
    expect(() => getRule('nope')).toThrow(/rule "nope" is not a known rule/);
    expect(() => checkRuleParams('tag_silent', { silenceMs: 10, x: 1 })).toThrow(
      /params.silenceMs 10 out of range \[60000, 31536000000\]; params.x is not a param/,
    );
    expect(checkRuleParams('tag_silent', { silenceMs: 60_000 })).toEqual({ silenceMs: 60_000 });
  });
});

describe('rule settings', () => {
  it('overrides from the widest scope to the narrowest, per device last', () => {
    const settings = new RuleSettings([
      { rule: 'tag_silent', scopeType: 'portfolio', scopeId: null, params: { silenceMs: 1 } },
      {
        rule: 'tag_silent',
        scopeType: 'branch',
        scopeId: 'b',
        params: { silenceMs: 2, criticalAfterMs: 9 },
      },
      { rule: 'tag_silent', scopeType: 'herd', scopeId: 'h', params: { silenceMs: 3 } },
      {
        rule: 'tag_silent',
        scopeType: 'ear_tag',
        scopeId: 'e1',
        params: { silenceMs: 4, junk: 'x' },
      },
    ]);
    const chain = { branchId: 'b', loanId: 'l', farmId: 'f', herdId: 'h' };
    expect(settings.resolve('tag_silent', { ...chain, earTagId: 'e1' })).toMatchObject({
      silenceMs: 4,
      criticalAfterMs: 9,
    });
    expect(settings.resolve('tag_silent', { ...chain, earTagId: 'e2' })).toMatchObject({
      silenceMs: 3,
    });
    expect(settings.resolve('tag_silent', { branchId: 'other' })).toMatchObject({ silenceMs: 1 });
    expect(settings.resolve('battery_low', chain)).toMatchObject({ batteryLowPct: 15 });
  });
});
