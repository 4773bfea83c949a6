/** TimeChart: a uPlot time-series graph that follows History (new points appear as samples arrive). */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { history, type Series } from './history.js';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2'];

export interface ChartLine {
  readonly label: string;
  /** The History series name. */
  readonly series: string;
  /** Draw on the right-hand axis (e.g. a metric beside replica counts). */
  readonly right?: boolean;
}

export function TimeChart(props: { title: string; lines: readonly ChartLine[]; id?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const key = props.lines.map((l) => l.series).join('|');
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data = (): uPlot.AlignedData => [history.times, ...props.lines.map((l): Series => history.get(l.series))] as uPlot.AlignedData;
    const hasRight = props.lines.some((l) => l.right);
    const plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 200,
        series: [{}, ...props.lines.map((l, i) => ({ label: l.label, stroke: COLORS[i % COLORS.length] ?? '#000', width: 2, scale: l.right ? 'right' : 'y', spanGaps: false }))],
        axes: [{}, { scale: 'y' }, ...(hasRight ? [{ scale: 'right', side: 1 as const, grid: { show: false } }] : [])],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data(),
      el,
    );
    // data-points: how many samples the first line has, for people and tests watching the graph grow.
    const count = (): void => {
      const first = props.lines[0];
      if (el.parentElement && first) el.parentElement.dataset['points'] = String(history.get(first.series).filter((v) => v !== null).length);
    };
    count();
    const unsubscribe = history.subscribe(() => {
      plot.setData(data());
      count();
    });
    const resize = (): void => plot.setSize({ width: Math.max(300, el.clientWidth), height: 200 });
    window.addEventListener('resize', resize);
    return () => {
      unsubscribe();
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [key]);
  return html`<figure class="chart" data-chart=${props.id ?? props.title}><figcaption>${props.title}</figcaption><div ref=${box}></div></figure>`;
}
