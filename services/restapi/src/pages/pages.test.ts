import { describe, expect, it } from '@jest/globals';
import { humanBytes, humanDuration, timeElement } from './format.js';
import { html, trusted } from './markup.js';
import { metricSeries, sparkline } from './measures.js';

describe('markup', () => {
  it('escapes every interpolation but trusted markup, lists included', () => {
    const name = '<img src=x onerror="alert(1)">';
    expect(html`<td title="${name}">${name}</td>`.text).toBe('<td title="&#60;img src=x onerror=&#34;alert(1)&#34;&#62;">&#60;img src=x onerror=&#34;alert(1)&#34;&#62;</td>');
    expect(html`${[html`<b>${'a&b'}</b>`, ' & ', trusted('<i>x</i>')]}${null}${false}${undefined}${0}`.text).toBe('<b>a&#38;b</b> &#38; <i>x</i>0');
  });
});

describe('formats', () => {
  it('says durations and sizes as people do', () => {
    expect([850, 42_000, 185_000, 3_600_000, 8_040_000, 97_200_000, -1].map(humanDuration)).toEqual(['850 ms', '42 s', '3 min 5 s', '1 h', '2 h 14 min', '1 d 3 h', '—']);
    expect([512, 1536, 2 * 1024 ** 3].map(humanBytes)).toEqual(['512 B', '1.5 KiB', '2.0 GiB']);
  });

  it('writes times in UTC for the page script to localise, and a dash for none', () => {
    expect(timeElement('2026-11-30T01:02:03.456Z').text).toBe('<time datetime="2026-11-30T01:02:03.456Z">2026-11-30 01:02:03 UTC</time>');
    expect(timeElement(null).text).toContain('—');
  });
});

describe('measures as series', () => {
  it('reads steps from numbered levels as the worker names MLflow metrics', () => {
    const measures = {
      train: { epoch_1: { loss: 0.9, acc: 0.5 }, epoch_2: { loss: 0.5, acc: 0.7 } },
      loss_3: 0.4,
      loss_1: 1.2,
      final: { acc: 0.93 },
      note: 'text is not charted',
    };
    expect(metricSeries(measures)).toEqual([
      { key: 'final.acc', points: [{ step: 0, value: 0.93 }] },
      { key: 'loss', points: [{ step: 1, value: 1.2 }, { step: 3, value: 0.4 }] },
      { key: 'train.acc', points: [{ step: 1, value: 0.5 }, { step: 2, value: 0.7 }] },
      { key: 'train.loss', points: [{ step: 1, value: 0.9 }, { step: 2, value: 0.5 }] },
    ]);
    expect(metricSeries(null)).toEqual([]);
  });

  it('draws a series as an SVG path within its box, labelled for screen readers', () => {
    const svg = sparkline({ key: 'loss', points: [{ step: 0, value: 1 }, { step: 5, value: 0.5 }, { step: 10, value: 0 }] }, 100, 50).text;
    expect(svg).toContain('aria-label="loss: 3 points, steps 0 to 10, from 1 to 0, min 0, max 1"');
    expect(svg).toContain('d="M2.0,2.0 L50.0,25.0 L98.0,48.0"');
  });
});
