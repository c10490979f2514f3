/** The page's header blocks from a manifest: provenance, timings, key figures, config. */
import type { ManifestView } from './source.js';
import { fmt } from './plots/common.js';

/** Rows "what produced these numbers": versions, seed, commit, backend, host. */
export function provenanceRows(m: ManifestView): [string, string][] {
  const v = m.versions ?? {};
  const rows: [string, string][] = [
    ['protocol', m.protocol],
    ['glassy version', String(m.glassy ?? v['glassy'] ?? 'unknown')],
    ['seed', m.seed === undefined ? 'unknown' : String(m.seed)],
    ['git commit', m.git ? `${m.git.commit}${m.git.dirty ? ' (working tree had uncommitted changes)' : ''}` : 'not recorded (not run from a git checkout)'],
    ['Node', String(v['node'] ?? 'unknown')],
  ];
  const backend = v['backend'] ?? configField(m.config, 'backend') ?? m.summary?.['backend'];
  if (backend !== undefined) rows.push(['backend', typeof backend === 'string' ? backend : JSON.stringify(backend)]);
  if (v['platform'] !== undefined) rows.push(['platform', `${String(v['platform'])} ${String(v['arch'] ?? '')}`.trim()]);
  if (m.host) rows.push(['host', m.host]);
  for (const [k, val] of Object.entries(v)) {
    if (!['node', 'glassy', 'platform', 'arch', 'backend'].includes(k)) rows.push([`version: ${k}`, String(val)]);
  }
  return rows;
}

function configField(config: unknown, key: string): unknown {
  return config && typeof config === 'object' ? (config as Record<string, unknown>)[key] : undefined;
}

/** Status and times. */
export function statusRows(m: ManifestView): [string, string][] {
  const rows: [string, string][] = [];
  if (m.created) rows.push(['created', m.created]);
  if (m.started) rows.push(['started', m.started]);
  if (m.ended) rows.push(['ended', m.ended]);
  if (m.started && m.ended) {
    const s = (Date.parse(m.ended) - Date.parse(m.started)) / 1000;
    if (Number.isFinite(s)) rows.push(['wall time', `${fmt(s)} s`]);
  }
  if (m.error) rows.push(['error', m.error]);
  return rows;
}

export function timingRows(m: ManifestView): [string, string][] {
  return Object.entries(m.timings ?? {}).map(([k, s]) => [k, `${fmt(s)} s`]);
}

/** manifest.summary as rows: numbers to 4 significant digits, structures as compact JSON. */
export function summaryRows(m: ManifestView): [string, string][] {
  return Object.entries(m.summary ?? {}).map(([k, v]) => [k, showValue(v)]);
}

export function showValue(v: unknown): string {
  if (typeof v === 'number') return fmt(v);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? Number(fmt(x)) : x));
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}
