/**
 * Horizontal bar charts as inline SVG: no script, no external assets, colours from the page's CSS
 * variables so they follow light/dark mode and print.
 */
import { h } from './html-escape.js';

export interface Bar {
  label: string;
  value: number;
  /** CSS class for the bar fill (e.g. `bar-fail`). */
  tone?: string;
}

const WIDTH = 360;
const LABEL_WIDTH = 175;
const ROW = 26;
const BAR_HEIGHT = 16;
const MAX_LABEL = 24;

const truncate = (label: string): string =>
  [...label].length > MAX_LABEL ? `${[...label].slice(0, MAX_LABEL - 1).join('')}…` : label;

export const barChart = (title: string, bars: readonly Bar[]): string => {
  if (bars.length === 0) {
    return `<figure class="chart"><figcaption>${h(title)}</figcaption><p class="muted">Nothing to chart.</p></figure>`;
  }
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plot = WIDTH - LABEL_WIDTH - 40;
  const height = bars.length * ROW + 4;
  const rows = bars.map((bar, i) => {
    const y = i * ROW + 4;
    const w = bar.value === 0 ? 0 : Math.max(2, Math.round((bar.value / max) * plot));
    const tone = bar.tone ?? 'bar-default';
    return [
      `<g><title>${h(bar.label)}: ${bar.value}</title>`,
      `<text class="chart-label" x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT - 4}" text-anchor="end">${h(truncate(bar.label))}</text>`,
      `<rect class="${tone}" x="${LABEL_WIDTH}" y="${y}" width="${w}" height="${BAR_HEIGHT}" rx="3"></rect>`,
      `<text class="chart-value" x="${LABEL_WIDTH + w + 6}" y="${y + BAR_HEIGHT - 4}">${bar.value}</text></g>`,
    ].join('');
  });
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(', ');
  return [
    `<figure class="chart"><figcaption>${h(title)}</figcaption>`,
    `<svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${h(`${title}. ${summary}`)}" preserveAspectRatio="xMinYMin meet">`,
    rows.join(''),
    '</svg></figure>',
  ].join('');
};
