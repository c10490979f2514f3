/**
 * Rendering without a browser: Vega-Lite → Vega (compile), Vega → SVG through vega's headless View
 * (renderer 'none': no canvas needed, text widths are estimated), SVG → PNG with resvg.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInThisContext } from 'node:vm';
import type { TopLevelSpec } from 'vega-lite';
import { umdBuildPath } from './assets.js';
import type { Json, VlSpec } from './spec.js';

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');

/**
 * vega and vega-lite from their single-file UMD builds, loaded with the first plot. Their ESM entries
 * pull in some thirty vega-* packages and cost ~0.2 s of CPU to load; the two bundled files (the same
 * releases, the vega one being the very file the report page inlines) cost ~0.05 s. Each is
 * evaluated as CommonJS would (the packages are "type": "module", so require() would not).
 */
let libs: { vega: Vega; vegaLite: VegaLite } | undefined;
function loadUmd<T>(path: string, require: (name: string) => unknown): T {
  const module = { exports: {} as T };
  const wrapped = runInThisContext(`(function (exports, module, require) {${readFileSync(path, 'utf8')}\n})`, { filename: path }) as (
    e: T,
    m: { exports: T },
    r: (name: string) => unknown,
  ) => void;
  wrapped(module.exports, module, require);
  return module.exports;
}
function vegaLibs(): { vega: Vega; vegaLite: VegaLite } {
  if (!libs) {
    const vega = loadUmd<Vega>(umdBuildPath('vega'), (name) => {
      throw new Error(`vega's bundle asked for ${name}`);
    });
    const vegaLite = loadUmd<VegaLite>(umdBuildPath('vega-lite'), (name) => {
      if (name !== 'vega') throw new Error(`vega-lite's bundle asked for ${name}`);
      return vega;
    });
    libs = { vega, vegaLite };
  }
  return libs;
}

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
  const out = vegaLibs().vegaLite.compile(spec as unknown as TopLevelSpec, { logger: logger as never }).spec;
  return out as unknown as { [k: string]: Json };
}

/** Render a compiled Vega spec to an SVG string. */
export async function vegaToSvg(vgSpec: { [k: string]: Json }): Promise<string> {
  const { vega } = vegaLibs();
  const view = new vega.View(vega.parse(vgSpec as unknown as import('vega').Spec), { renderer: 'none', logLevel: vega.Error });
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
