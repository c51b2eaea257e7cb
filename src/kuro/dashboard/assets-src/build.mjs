// Builds ../assets/plotly/plotly-kuro.min.js: plotly.js's core with only the trace types the
// dashboard draws (traces.json), minified, as plotly.js builds its own partial bundles
// (its esbuild-config.js: an IIFE defining the global Plotly, shaders inlined, CSS inlined).
// The full plotly.min.js is 4.8 MB and takes about 0.6 s to evaluate on every page load.
//
//   make plotly-bundle     (npm ci, then node build.mjs)
//
// plotly.js is pinned in package.json to the version Dash serves (plotly.py's
// package_data/plotly.min.js); tests/dashboard/test_plotly_bundle.py checks both.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import esbuild from 'esbuild';
import { environmentPlugin } from 'esbuild-plugin-environment';
import { glsl } from 'esbuild-plugin-glsl';
import InlineCSSPlugin from 'esbuild-plugin-inline-css';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const traces = JSON.parse(readFileSync(join(here, 'traces.json'), 'utf8'));
const version = require('plotly.js/package.json').version;
const outfile = join(here, '..', 'assets', 'plotly', 'plotly-kuro.min.js');

// The entry: lib/core plus one lib/<trace> module per trace type, as lib/index-*.js do.
const entry = [
    "'use strict';",
    "var Plotly = require('plotly.js/lib/core');",
    'Plotly.register([',
    ...traces.map((name) => `    require('plotly.js/lib/${name}'),`),
    ']);',
    'module.exports = Plotly;',
    '',
].join('\n');

const header = `/**
* plotly.js v${version}, partial bundle for Kuro: ${traces.join(', ')}
* Built by src/kuro/dashboard/assets-src/build.mjs (make plotly-bundle); do not edit.
* Copyright 2012-2026, Plotly, Inc. All rights reserved. Licensed under the MIT license.
*/`;

mkdirSync(dirname(outfile), { recursive: true });
const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: here, sourcefile: 'kuro-plotly-entry.js' },
    outfile,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'none',
    banner: { js: header },
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    logLevel: 'warning',
    write: false,
});
const code = result.outputFiles[0].text;
// The IIFE's `var Plotly = ...` replaces the loading promise plotly_early.js left in
// window.Plotly (see that file).
writeFileSync(outfile, code);
console.log(`${outfile}: ${(code.length / 1e6).toFixed(2)} MB, traces ${traces.join(', ')}`);
