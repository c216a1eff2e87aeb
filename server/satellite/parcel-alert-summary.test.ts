import { describe, expect, it } from 'vitest';
import { summarizeForAlerts } from './parcel-alert-summary.ts';
import type { StoredParcelResult } from './types.ts';

const scene = (day: string, ndvi: number | null, clear = 100) => ({
  sceneId: `S-${day}`,
  observedAt: `2019-${day}T10:30:00.000Z`,
  clearPixels: clear,
  totalPixels: 100,
  ndviMean: ndvi,
});
const point = (day: string, ndvi: number) => ({
  date: `2019-${day}T10:30:00.000Z`,
  sceneId: `S-${day}`,
  ndvi,
  clearPixels: 100,
});

const base: StoredParcelResult = {
  parcelId: 'p1',
  status: 'verified',
  reason: 'declared crop confirmed',
  predictedCropCode: 1200,
  predictedConfidence: 0.9,
  plantedAreaM2: 25_000,
  clearObservations: 3,
  lastSceneAt: new Date('2019-08-01T10:30:00Z'),
  lastClearAt: new Date('2019-08-01T10:30:00Z'),
  markers: [],
  ndviSeries: [point('05-01', 0.3), point('07-01', 0.85), point('08-01', 0.8)],
  scenes: [scene('05-01', 0.3), scene('07-01', 0.85), scene('08-01', 0.8, 50)],
};

describe('summarizeForAlerts', () => {
  it('passes a verified parcel on, judged at its latest scene', () => {
    const summary = summarizeForAlerts(base);
    expect(summary.at.toISOString()).toBe('2019-08-01T10:30:00.000Z');
    expect(summary.predictedCropCode).toBe(1200);
    expect(summary.status).toBe('growing');
    expect(summary.ndvi.peak?.value).toBe(0.85);
    expect(summary.ndvi.latest?.sceneId).toBe('S-08-01');
    expect(summary.scenes[2]?.clearFraction).toBe(0.5);
  });

  it('guesses nothing for a parcel that cannot be verified', () => {
    const summary = summarizeForAlerts({
      ...base,
      status: 'cannot_verify',
      predictedCropCode: null,
      predictedConfidence: null,
      plantedAreaM2: null,
      ndviSeries: [],
      lastClearAt: null,
    });
    expect(summary.predictedCropCode).toBeNull();
    expect(summary.plantedAreaM2).toBeNull();
    expect(summary.lastClearObservationAt).toBeNull();
    expect(summary.status).toBe('unknown');
  });

  it('reports an early harvest at its marker, and a decline the calendar explains as harvested', () => {
    const early = summarizeForAlerts({
      ...base,
      markers: [
        {
          type: 'early_harvest',
          date: '2019-07-20T10:30:00.000Z',
          sceneId: 'S',
          ndvi: 0.2,
          expectedNdvi: 0.8,
          cropCode: 1200,
          reason: 'bare',
        },
      ],
    });
    expect(early.status).toBe('harvested');
    expect(early.harvestedAt?.toISOString()).toBe('2019-07-20T10:30:00.000Z');

    const declined = { ...base, ndviSeries: [...base.ndviSeries, point('10-01', 0.5)] };
    expect(summarizeForAlerts(declined).status).toBe('harvested');
    expect(summarizeForAlerts(declined).harvestedAt).toBeNull();
    const lost = summarizeForAlerts({
      ...declined,
      markers: [
        {
          type: 'vegetation_loss',
          date: '2019-10-01T10:30:00.000Z',
          sceneId: 'S-10-01',
          ndvi: 0.5,
          expectedNdvi: 0.8,
          cropCode: 1200,
          reason: 'drop',
        },
      ],
    });
    expect(lost.status).toBe('growing');
  });
});
