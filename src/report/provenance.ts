/** The page's header blocks from a manifest: provenance, timings, key figures, config. */
import type { ManifestView } from './source.js';
import { fmt } from './plots/common.js';
import type { Table } from './recipes/types.js';

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

/** manifest.summary as rows: numbers to 4 significant digits, lists joined, flat maps as "k: v". */
export function summaryRows(m: ManifestView): [string, string][] {
  return summaryLayout(m).rows;
}

/**
 * manifest.summary laid out for a reader: scalars, lists and flat maps as key/value rows; a list of
 * records (permute's per_k, aging's points, l2sweep's transitions, flatness's correlations) or a map
 * of records becomes a table of its own — never JSON cut short.
 */
export function summaryLayout(m: ManifestView): { rows: [string, string][]; tables: Table[] } {
  const rows: [string, string][] = [];
  const tables: Table[] = [];
  for (const [k, v] of Object.entries(m.summary ?? {})) {
    if (Array.isArray(v) && v.length > 0 && v.every(isRecord)) {
      tables.push(recordTable(k, v as Record<string, unknown>[], null));
    } else if (isRecord(v) && Object.keys(v).length > 0 && Object.values(v).every(isRecord)) {
      tables.push(recordTable(k, Object.values(v) as Record<string, unknown>[], Object.keys(v)));
    } else {
      rows.push([k, showValue(v)]);
    }
  }
  return { rows, tables };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One row per record, one column per key seen (in first-seen order); `keys` names the rows of a map. */
function recordTable(name: string, records: Record<string, unknown>[], keys: string[] | null): Table {
  const columns: string[] = [];
  for (const r of records) for (const c of Object.keys(r)) if (!columns.includes(c)) columns.push(c);
  const rows = records.map((r, i) => [...(keys ? [keys[i] as string] : []), ...columns.map((c) => cell(r[c]))]);
  return { name: `summary-${name}`, title: name, columns: [...(keys ? [''] : []), ...columns], rows };
}

function cell(v: unknown): string | number | null {
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? fmt(v) : String(v);
  return showValue(v);
}

/** A value for one table cell: numbers to 4 significant digits, lists joined, maps as "k: v"; never cut. */
export function showValue(v: unknown): string {
  if (typeof v === 'number') return fmt(v);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map(showValue).join(', ');
  if (isRecord(v)) return Object.entries(v).map(([k, x]) => `${k}: ${showValue(x)}`).join('; ');
  return String(v);
}
