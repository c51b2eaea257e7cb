/* Start plotly.js (4.8 MB, about 0.6 s to evaluate) as soon as the page opens, so it is
   evaluated while the page's layout is fetched instead of after the first chart arrives.
   dcc.Graph waits on window.Plotly when it is a promise (``Promise.resolve(window.Plotly
   || load())``); plotly.js replaces it with itself once evaluated. */
(function () {
    if (window.Plotly) {
        return;
    }
    var config = document.getElementById("_dash-config");
    var prefix = config ? JSON.parse(config.textContent).requests_pathname_prefix : "/";
    window.Plotly = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = prefix + "_dash-component-suites/plotly/package_data/plotly.min.js";
        script.async = true;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
    });
})();
