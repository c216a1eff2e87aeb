import {
  defaultReportDates,
  isReportPeriod,
  readReportPeriod,
  reportUrl,
  type ReportFormat,
} from './loan-report-links.ts';

const links: ReadonlyArray<{ format: ReportFormat; text: string; download: boolean }> = [
  { format: 'html', text: 'Report (HTML)', download: false },
  { format: 'pdf', text: 'PDF', download: true },
  { format: 'csv', text: 'CSV', download: true },
];

/**
 * The report button: a period (two date inputs, the last 90 days by default) and links to the
 * loan's report in HTML (a new tab), PDF and CSV (downloads). Plain same-origin links, so the
 * session cookie authenticates the GETs and the browser does the downloading. A period that ends
 * before it starts takes the links' targets away and says why, next to the inputs.
 */
export function reportForm(loanId: string, reference: string, now: () => Date): HTMLElement {
  const form = document.createElement('form');
  form.className = 'loan-report';
  form.noValidate = true;
  const fieldset = document.createElement('fieldset');
  const legend = document.createElement('legend');
  legend.textContent = `Post-loan report of ${reference}`;
  const defaults = defaultReportDates(now());
  const from = dateInput('from', 'From', defaults.from);
  const to = dateInput('to', 'To (included)', defaults.to);
  const problem = document.createElement('p');
  problem.className = 'loan-report-problem';
  problem.setAttribute('role', 'alert');
  problem.id = `loan-report-problem-${loanId}`;
  const linkRow = document.createElement('p');
  linkRow.className = 'loan-report-links';
  const anchors = links.map(({ format, text, download }) => {
    const a = document.createElement('a');
    a.textContent = text;
    a.dataset['format'] = format;
    if (download) a.download = '';
    else {
      a.target = '_blank';
      a.rel = 'noopener';
    }
    linkRow.append(a, ' ');
    return a;
  });

  const update = (): void => {
    const period = readReportPeriod(from.input.value, to.input.value, now());
    for (const input of [from.input, to.input]) input.removeAttribute('aria-invalid');
    if (isReportPeriod(period)) {
      problem.textContent = '';
      for (const a of anchors) {
        a.href = reportUrl(loanId, period, a.dataset['format'] as ReportFormat);
        a.removeAttribute('aria-disabled');
      }
      return;
    }
    problem.textContent = period.message;
    const bad = period.field === 'from' ? from.input : to.input;
    bad.setAttribute('aria-invalid', 'true');
    bad.setAttribute('aria-describedby', problem.id);
    // Without an href an <a> is no link: nothing to click or Tab to until the period is right.
    for (const a of anchors) {
      a.removeAttribute('href');
      a.setAttribute('aria-disabled', 'true');
    }
  };
  for (const input of [from.input, to.input]) input.addEventListener('input', update);
  // The links end "now" when the last day is today: make sure they say so when followed.
  linkRow.addEventListener('pointerdown', update);
  linkRow.addEventListener('focusin', update);
  form.addEventListener('submit', (event) => event.preventDefault());
  update();

  fieldset.append(legend, from.label, to.label, problem, linkRow);
  form.append(fieldset);
  return form;
}

function dateInput(
  name: string,
  text: string,
  value: string,
): { label: HTMLLabelElement; input: HTMLInputElement } {
  const label = document.createElement('label');
  label.textContent = text;
  const input = document.createElement('input');
  input.type = 'date';
  input.name = name;
  input.value = value;
  input.required = true;
  label.append(input);
  return { label, input };
}
