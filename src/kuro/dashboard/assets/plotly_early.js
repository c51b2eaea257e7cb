/* The dashboard's plotly.js: Kuro's partial bundle (assets/plotly/plotly-kuro.min.js, 1.6 MB:
   the core with only the trace types Kuro draws, built by assets-src/build.mjs), started as
   soon as the page opens so it is evaluated while the page's layout is fetched.

   How dcc.Graph finds plotly.js (dash 4.x, dcc's Graph.react.js): its async chunk waits on
   ``Promise.resolve(window.Plotly || load(window._dashPlotlyJSURL))``, so whatever is in
   window.Plotly when the first chart mounts wins; _dashPlotlyJSURL (the full 4.8 MB bundle,
   set by the Dash renderer) is only fetched when window.Plotly is empty. This asset runs
   before the renderer and leaves a promise there; the bundle's ``var Plotly = ...`` replaces
   it with plotly.js itself once evaluated. If the partial bundle cannot be fetched, the full
   one is loaded instead, so a chart is never lost (only slower). The browser tests check that
   the full bundle is never fetched and that every trace type Kuro draws is registered. */
(function () {
    if (window.Plotly) {
        return;
    }
    var config = document.getElementById("_dash-config");
    var prefix = config ? JSON.parse(config.textContent).requests_pathname_prefix : "/";
    // The index page preloads the bundle by its versioned address (kept by the browser).
    var preload = document.getElementById("_kuro-plotly");
    var sources = [
        preload ? preload.href : prefix + "assets/plotly/plotly-kuro.min.js",
        prefix + "_dash-component-suites/plotly/package_data/plotly.min.js",
    ];

    function load(i, resolve, reject) {
        var script = document.createElement("script");
        script.src = sources[i];
        script.async = true;
        script.onload = resolve;
        script.onerror = function (error) {
            script.remove();
            if (i + 1 < sources.length) {
                load(i + 1, resolve, reject);
            } else {
                reject(error);
            }
        };
        document.head.appendChild(script);
    }

    window.Plotly = new Promise(function (resolve, reject) {
        load(0, resolve, reject);
    });
})();
