import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface SparklineProps {
  /** Epoch ms, oldest first. */
  at: readonly number[];
  values: readonly number[];
  /** Upper bound of the axis (100 for %, total MiB for memory). */
  max: number;
  /** What the chart shows, in words (the chart itself is decoration for screen readers). */
  label: string;
  className?: string;
}

const canDraw = () => typeof HTMLCanvasElement !== 'undefined' && !!document.createElement('canvas').getContext?.('2d');

/** A small uPlot line (no axes, no legend) that follows the data as samples arrive. */
export function Sparkline({ at, values, max, label, className }: SparklineProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = box.current;
    if (!element || !canDraw()) return;
    const stroke = getComputedStyle(element).color || '#2563eb';
    plot.current = new uPlot(
      {
        width: element.clientWidth || 160,
        height: 36,
        pxAlign: false,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: false }, y: { range: [0, Math.max(1, max)] } },
        series: [{}, { stroke, width: 1.5, fill: `${stroke.startsWith('rgb(') ? stroke.replace('rgb(', 'rgba(').replace(')', ', 0.15)') : stroke}` }],
      },
      [[], []],
      element,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth || 160, height: 36 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [max]);

  useEffect(() => {
    plot.current?.setData([at.map((t) => t / 1000), [...values]]);
  }, [at, values]);

  return <div ref={box} className={className ?? 'sparkline'} role="img" aria-label={label} />;
}
