/* The layout and callbacks that the index page carries inline (kuro.dashboard.index_page),
   handed to the Dash renderer in place of its first requests for them (_dash-layout,
   _dash-dependencies): the page is drawn without waiting on the server again. Each is used
   once, and only if it was built for this very address; otherwise, and for every later
   request, fetch is Dash's own. */
(function () {
    var fetch = window.fetch;
    if (!fetch || !window.Response) {
        return;
    }
    var inline = { "/_dash-layout": "_kuro-layout", "/_dash-dependencies": "_kuro-dependencies" };
    var address = window.location.pathname + window.location.search;

    window.fetch = function (input, init) {
        var url = (typeof input === "string" ? input : (input && input.url) || "").split("?")[0];
        var method = ((init && init.method) || "GET").toUpperCase();
        var route = url.slice(url.lastIndexOf("/"));
        var element = inline[route] && document.getElementById(inline[route]);
        if (method === "GET" && element && element.getAttribute("data-address") === address) {
            element.remove();
            return Promise.resolve(
                new Response(element.textContent, {
                    status: 200,
                    headers: { "Content-Type": "application/json" },
                })
            );
        }
        return fetch.apply(window, arguments);
    };
})();
