/**
 * Rendering without a browser: Vega-Lite → Vega (compile), Vega → SVG through vega's headless View
 * (renderer 'none': no canvas needed, text widths are estimated), SVG → PNG with resvg.
 */
import { existsSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { createRequire } from 'node:module';
import type { Json, VlSpec } from './spec.js';

/** Compile a Vega-Lite spec to the Vega spec the browser and the headless renderer both run. */
export function toVega(spec: VlSpec): { [k: string]: Json } {
  // vega-lite logs warnings (e.g. a dropped channel) to the console; collect them instead.
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...m: unknown[]) => (warnings.push(m.join(' ')), logger),
    warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger),
    info: () => logger,
    debug: () => logger,
  };
  const out = compile(spec as unknown as TopLevelSpec, { logger: logger as never }).spec;
  return out as unknown as { [k: string]: Json };
}

/** Render a compiled Vega spec to an SVG string. */
export async function vegaToSvg(vgSpec: { [k: string]: Json }): Promise<string> {
  const view = new vega.View(vega.parse(vgSpec as unknown as vega.Spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Vega-Lite → SVG. */
export async function renderSvg(spec: VlSpec): Promise<string> {
  return vegaToSvg(toVega(spec));
}

/** Fonts we prefer for PNGs; loading one or two files is much faster than scanning the system. */
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
];

let fontFiles: string[] | undefined;

/** resvg (a native module) is loaded by the first PNG: a report without PNGs never pays for it. */
let resvg: typeof import('@resvg/resvg-js') | undefined;
function loadResvg(): typeof import('@resvg/resvg-js') {
  return (resvg ??= createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js'));
}

/**
 * SVG → PNG at `scale`× (2 for papers). Uses the known font files when present, otherwise lets
 * resvg scan the system fonts (slower but finds whatever the machine has).
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  fontFiles ??= FONT_FILES.filter((f) => existsSync(f));
  const font =
    fontFiles.length > 0
      ? { loadSystemFonts: false, fontFiles, defaultFontFamily: defaultFamily(fontFiles), sansSerifFamily: defaultFamily(fontFiles) }
      : { loadSystemFonts: true };
  return new (loadResvg().Resvg)(svg, { font, fitTo: { mode: 'zoom', value: scale }, background: 'white' }).render().asPng();
}

/** Raw RGBA pixels of an SVG rendered at 1× (for tests that check something was drawn). */
export function svgToPixels(svg: string): { width: number; height: number; pixels: Uint8Array } {
  fontFiles ??= FONT_FILES.filter((f) => existsSync(f));
  const font = fontFiles.length > 0 ? { loadSystemFonts: false, fontFiles, defaultFontFamily: defaultFamily(fontFiles) } : { loadSystemFonts: true };
  const img = new (loadResvg().Resvg)(svg, { font, background: 'white' }).render();
  return { width: img.width, height: img.height, pixels: new Uint8Array(img.pixels) };
}

function defaultFamily(files: string[]): string {
  return files.some((f) => f.includes('DejaVu')) ? 'DejaVu Sans' : 'Liberation Sans';
}
