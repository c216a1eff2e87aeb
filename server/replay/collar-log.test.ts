import { describe, expect, it } from 'vitest';
import { parseCollarLog, parseCollarTime, splitCsvLine } from './collar-log.ts';
import { collarFixPayload, shiftToNowMs } from './replay-collar-log.ts';

describe('parseCollarLog', () => {
  it('reads the quoted demo format with leading spaces in the values', () => {
    const log = parseCollarLog(
      '"","Index","Date","Time","Latitude","Longitude"\n' +
        '"1",1666," 2017/12/12"," 00:55:03",43.600395,-116.204964\n',
    );
    expect(log).toEqual({
      fixes: [
        {
          line: 2,
          observedAt: new Date('2017-12-12T00:55:03Z'),
          rawTime: '2017/12/12 00:55:03',
          lat: 43.600395,
          lon: -116.204964,
        },
      ],
      skippedLines: 0,
    });
  });

  it('reads the dirty format (headers with leading spaces) and skips a repeated header', () => {
    const log = parseCollarLog(
      'Index, Date, Time, Latitude, Longitude\n' +
        '1, 2018/09/18, 16:36:53,0,0\n' +
        'Index, Date, Time, Latitude, Longitude\n' +
        '2, 2016/00/00, 00:00:00,44.02327,-116.973518\n',
    );
    expect(log.skippedLines).toBe(1);
    expect(log.fixes.map((f) => [f.line, f.observedAt?.toISOString() ?? f.rawTime, f.lat])).toEqual(
      [
        [2, '2018-09-18T16:36:53.000Z', 0],
        [4, '2016/00/00 00:00:00', 44.02327],
      ],
    );
  });

  it('keeps a coordinate that is not a number as its raw text', () => {
    const log = parseCollarLog('Date,Time,Latitude,Longitude\n2018/09/18,16:36:53,n/a,-116\n');
    expect(log.fixes[0]?.lat).toBe('n/a');
  });

  it('names a missing column', () => {
    expect(() => parseCollarLog('Date,Time,Lat,Lon\n')).toThrow(/no latitude column/);
  });
});

describe('parseCollarTime', () => {
  it('refuses the 2016/00/00 sentinel and impossible times instead of rolling them over', () => {
    expect(parseCollarTime('2016/00/00', '00:00:00')).toBeNull();
    expect(parseCollarTime('2017/02/30', '00:00:00')).toBeNull();
    expect(parseCollarTime('2017/12/12', '24:00:00')).toBeNull();
    expect(parseCollarTime(' 2017/12/12', ' 00:55:03')).toEqual(new Date('2017-12-12T00:55:03Z'));
  });
});

describe('splitCsvLine', () => {
  it('splits on commas outside quotes', () => {
    expect(splitCsvLine('"a,b","c""d",e')).toEqual(['a,b', 'c"d', 'e']);
  });
});

describe('replay payloads', () => {
  it('shifts readable times so the last is now and sends unreadable ones raw', () => {
    const log = parseCollarLog(
      'Date,Time,Latitude,Longitude\n2017/12/12,00:00:00,43.6,-116.2\n2016/00/00,00:00:00,43.6,-116.2\n2017/12/12,01:00:00,43.6,-116.2\n',
    );
    const shift = shiftToNowMs(log, new Date('2026-11-22T12:00:00Z'));
    expect(log.fixes.map((f) => collarFixPayload(f, shift).observedAt)).toEqual([
      '2026-11-22T11:00:00.000Z',
      '2016/00/00 00:00:00',
      '2026-11-22T12:00:00.000Z',
    ]);
  });
});
