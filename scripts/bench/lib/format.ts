import type { BenchReport, CaseResult, Sample } from './types.ts';

/** 1234567.8 → "1,234,568". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** 0.5 → "0.50×", 12.34 → "12.3×", 152.4 → "152×". */
export function formatRatio(value: number): string {
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)}×`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Pads cells into aligned columns; `right` marks the right-aligned (numeric) columns. */
export function renderTable(
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return right[i] === true ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
}

function describeCounts(samples: readonly Sample[]): string {
  if (samples.length === 0) return '-';
  const counts = samples.map((s) => s.count);
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  const capped = samples.some((s) => s.stoppedByTimeCap) ? '*' : '';
  return (low === high ? formatCount(low) : `${formatCount(low)}–${formatCount(high)}`) + capped;
}

function caseRow(c: CaseResult): string[] {
  if (c.medianPerSecond === null) return [c.label, '-', 'skipped', '', ''];
  return [
    c.label,
    describeCounts(c.samples),
    formatCount(c.medianPerSecond),
    `${formatCount(c.minPerSecond ?? 0)}–${formatCount(c.maxPerSecond ?? 0)}`,
    c.ratioToBaseline === null ? '-' : formatRatio(c.ratioToBaseline),
  ];
}

/** The human-readable report: what was measured, on what, the table, then notes. */
export function renderReport(report: BenchReport, resultPath: string): string {
  const r = report.result;
  const lines: string[] = [];
  lines.push(
    '',
    `${r.suite}: ${r.title}${report.quick ? '  [--quick: smoke run, not figures to quote]' : ''}`,
    '',
  );
  for (const sentence of r.method) lines.push(`  ${sentence}`);
  lines.push('');
  for (const [key, value] of Object.entries(r.environment)) lines.push(`  ${key}: ${value}`);
  lines.push(
    `  host: Node ${report.host.node}${report.host.nodeOptions === '' ? '' : ` (NODE_OPTIONS ${report.host.nodeOptions})`}, ${report.host.platform}, ${report.host.cpus} CPU (${report.host.cpuModel}), ${formatCount(report.host.totalMemoryMb)} MB`,
  );

  const header = ['case', 'readings/meas.', `median ${r.unit}`, `min–max ${r.unit}`, '× baseline'];
  const right = [false, true, true, true, true];
  let anyCapped = false;
  for (const group of r.groups) {
    lines.push('', group.label);
    const rows = [header, ...group.cases.map(caseRow)];
    for (const line of renderTable(rows, right)) lines.push(`  ${line}`);
    anyCapped ||= group.cases.some((c) => c.samples.some((s) => s.stoppedByTimeCap));
  }
  if (anyCapped) {
    lines.push(
      '',
      '  * at least one measurement hit its time cap; its rate is over the readings it wrote.',
    );
  }
  if (r.notes.length > 0) {
    lines.push('', 'notes');
    for (const note of r.notes) lines.push(`  - ${note}`);
  }
  if (r.skipped.length > 0) {
    lines.push('', 'skipped');
    for (const skip of r.skipped) lines.push(`  - ${skip}`);
  }
  lines.push('', `took ${formatSeconds(report.durationMs)}; results written to ${resultPath}`, '');
  return lines.join('\n');
}
