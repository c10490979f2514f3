/**
 * What a report inlines so it opens offline: vega's minified browser build and our small embed
 * script. Specs are compiled from Vega-Lite to Vega in Node (the very spec the SVG/PNG came from),
 * so the browser needs vega only — not vega-lite's 250 kB compiler — and renders what the paper shows.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let vegaJs: string | undefined;

/**
 * The path of a package's single-file UMD build (vega/build/vega.min.js, vega-lite/build/vega-lite.min.js).
 * Their package.json files export only the ESM entries; the UMD builds sit beside them in build/.
 */
export function umdBuildPath(pkg: 'vega' | 'vega-lite'): string {
  const entry = fileURLToPath(import.meta.resolve(pkg));
  return join(dirname(entry), `${pkg}.min.js`);
}

/** vega/build/vega.min.js (UMD: defines window.vega). Located from the installed package. */
export function vegaBrowserBuild(): string {
  vegaJs ??= safeInlineScript(readFileSync(umdBuildPath('vega'), 'utf8'));
  return vegaJs;
}

/** A script's text cannot contain "</script" inside an HTML <script> element. */
export function safeInlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON inside <script type="application/json">: escape '<' so no "</script>" can end it early. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The embed script: for each <figure data-plot>, parse its compiled spec, render it live as SVG with
 * hover tooltips, then hide the pre-rendered fallback image. Tooltip text goes in via textContent,
 * never innerHTML: labels come from run data.
 */
export const EMBED_JS = `(function () {
  'use strict';
  if (typeof vega === 'undefined') { console.error('glassy: vega failed to load'); return; }
  var tip = document.createElement('div');
  tip.className = 'glassy-tip';
  document.body.appendChild(tip);
  function show(value) {
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    if (value !== null && typeof value === 'object') {
      var table = document.createElement('table');
      Object.keys(value).forEach(function (k) {
        var tr = document.createElement('tr');
        var th = document.createElement('th'); th.textContent = k;
        var td = document.createElement('td'); td.textContent = String(value[k]);
        tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
      });
      tip.appendChild(table);
    } else {
      tip.textContent = String(value);
    }
  }
  function tooltip(handler, event, item, value) {
    if (value === undefined || value === null || value === '') { tip.style.display = 'none'; return; }
    show(value);
    tip.style.display = 'block';
    var x = event.clientX + 14, y = event.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) x = event.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight) y = event.clientY - tip.offsetHeight - 14;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  var figures = document.querySelectorAll('figure[data-plot]');
  var pending = figures.length;
  Array.prototype.forEach.call(figures, function (fig) {
    var name = fig.getAttribute('data-plot');
    var specEl = document.getElementById('spec-' + name);
    var box = fig.querySelector('.live');
    if (!specEl || !box) { console.error('glassy: figure ' + name + ' has no spec'); return; }
    try {
      var view = new vega.View(vega.parse(JSON.parse(specEl.textContent)), {
        renderer: 'svg', container: box, hover: true, tooltip: tooltip
      });
      view.runAsync().then(function () {
        fig.classList.add('rendered');
        if (--pending === 0) document.body.setAttribute('data-plots-rendered', 'true');
      }, function (err) { console.error('glassy: plot ' + name + ' failed: ' + err); });
    } catch (err) {
      console.error('glassy: plot ' + name + ' failed: ' + err);
    }
  });
  if (pending === 0) document.body.setAttribute('data-plots-rendered', 'true');
})();`;
