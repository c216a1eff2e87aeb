import { fromLonLat } from 'ol/proj.js';
import { describe, expect, it } from 'vitest';
import { AnimalLayer, simulateAnimals } from './animals.ts';

const fix = (tagCode: string, lng: number, lat: number) => ({
  tagCode,
  farmId: 'farm-1',
  herdId: 'herd-1',
  lng,
  lat,
  observedAt: '2026-11-22T10:00:00.000Z',
});

/** Counts the layer's change events: each one makes the map draw the layer again. */
function changesOf(animals: AnimalLayer): () => number {
  let changes = 0;
  animals.layer.on('change', () => changes++);
  return () => changes;
}

describe('AnimalLayer', () => {
  it('keeps the latest fix per tag in the map projection, and drops tags no longer reported', () => {
    const animals = new AnimalLayer();
    animals.setPositions([fix('A', 3.09, 50.83), fix('B', 3.1, 50.84)]);
    expect(animals.count).toBe(2);
    expect(animals.positionOf('A')).toEqual(fromLonLat([3.09, 50.83]));

    animals.setPositions([fix('B', 3.2, 50.9), fix('C', 3.3, 51)]);
    expect(animals.count).toBe(2);
    expect(animals.positionOf('A')).toBeNull();
    expect(animals.positionOf('B')).toEqual(fromLonLat([3.2, 50.9]));
    expect(animals.positionOf('C')).toEqual(fromLonLat([3.3, 51]));
    expect(animals.layer.get('name')).toBe('animals');
  });

  it('asks for a new frame only when something changed', () => {
    const animals = new AnimalLayer();
    const changes = changesOf(animals);
    animals.setPositions([fix('A', 3.09, 50.83)]);
    expect(changes()).toBe(1);
    animals.setPositions([fix('A', 3.09, 50.83)]); // the same fix, read again
    expect(changes()).toBe(1);
    animals.markAlerted(new Set(['A']));
    expect(changes()).toBe(2);
    animals.markAlerted(new Set(['A']));
    expect(changes()).toBe(2);
    animals.setPositions([fix('A', 3.091, 50.83)]);
    expect(changes()).toBe(3);
  });

  it('shows simulated animals besides the live ones until keepOnlyLive', () => {
    const animals = new AnimalLayer();
    const changes = changesOf(animals);
    animals.setPositions([fix('A', 3.09, 50.83)]);
    const sim = simulateAnimals(animals, 1000, [0, 0, 1000, 1000]);
    sim.step();
    expect(changes()).toBe(3); // live fixes, the simulated set, one step
    expect(animals.count).toBe(1); // simulated animals are not tags
    sim.clear();
    expect(changes()).toBe(4);
    sim.clear();
    expect(changes()).toBe(4);
    expect(animals.positionOf('A')).toEqual(fromLonLat([3.09, 50.83]));
  });
});
