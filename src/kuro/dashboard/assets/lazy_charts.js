/* Parts drawn after the page's first view. An element with ``data-kuro-lazy="<store id>"``
   sets that store's ``data`` to true (``dash_clientside.set_props``) when it comes within
   300 px of the viewport; a callback on the store then draws the part. One that also has
   ``data-kuro-after-charts`` does so as well, unseen, as soon as every chart of the page is drawn:
   all such parts at once. The compare page's parallel coordinates (WebGL, about 0.6 s of
   software rendering: drawn only when seen) and its aggregates and trials grids (built once
   the charts are drawn), all below the fold, no longer compete with what is above them for
   the first paint.

   While the page's first view is drawn its charts and grids appear one by one (each is an
   empty box until its code is loaded), so a part far below the fold starts out near the
   top: it is revealed only once its place has stayed put for a few frames and is still
   near the viewport; otherwise it waits for a scroll (or, with ``data-kuro-after-charts``, for the
   charts). */
(function () {
    var MARGIN = 300;
    var STILL_FRAMES = 8;
    var STILL_MS = 150;
    var seen = new WeakSet();
    var revealed = new WeakSet();

    function reveal(element) {
        if (revealed.has(element) || !element.isConnected) {
            return;
        }
        revealed.add(element);
        visible.unobserve(element);
        var store = element.getAttribute("data-kuro-lazy");
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(store, { data: true });
        }
    }

    function near(element) {
        var rect = element.getBoundingClientRect();
        return rect.top < window.innerHeight + MARGIN && rect.bottom > -MARGIN;
    }

    function whenStill(element) {
        var top = null;
        var frames = 0;
        var since = 0;
        function tick(now) {
            if (!element.isConnected) {
                return;
            }
            var offset = element.getBoundingClientRect().top + window.scrollY;
            if (offset !== top) {
                top = offset;
                frames = 0;
                since = now;
            }
            frames += 1;
            if (frames < STILL_FRAMES || now - since < STILL_MS) {
                window.requestAnimationFrame(tick);
            } else if (near(element)) {
                reveal(element);
            } else {
                visible.observe(element);
            }
        }
        window.requestAnimationFrame(tick);
    }

    // The parts revealed once the page is drawn, unseen: all at once, as soon as every chart
    // of the page has been drawn once. (Not "no chart pending": dcc.Graph also marks a chart
    // pending for the 100 ms that plotly.js waits before it fits the chart to its box.)
    var afterDrawn = [];
    var DRAWN_WAIT_MS = 5000; // a chart that never draws holds them up no longer

    function drawn() {
        var graphs = document.querySelectorAll(".dash-graph");
        for (var i = 0; i < graphs.length; i++) {
            if (!graphs[i].querySelector(".main-svg")) {
                return false;
            }
        }
        return true;
    }

    function whenDrawn(element) {
        afterDrawn.push(element);
        if (afterDrawn.length > 1) {
            return; // revealed with the others
        }
        var started = window.performance.now();
        function check(now) {
            if (drawn() || now - started > DRAWN_WAIT_MS) {
                // One more frame: the charts are painted before the parts are built.
                window.requestAnimationFrame(function () {
                    var elements = afterDrawn;
                    afterDrawn = [];
                    elements.forEach(reveal);
                });
            } else {
                window.requestAnimationFrame(check);
            }
        }
        window.requestAnimationFrame(check);
    }

    var visible = new IntersectionObserver(
        function (entries) {
            entries.forEach(function (entry) {
                if (entry.isIntersecting) {
                    visible.unobserve(entry.target);
                    whenStill(entry.target);
                }
            });
        },
        { rootMargin: MARGIN + "px 0px" }
    );

    function watch() {
        document.querySelectorAll("[data-kuro-lazy]").forEach(function (element) {
            if (!seen.has(element)) {
                seen.add(element);
                visible.observe(element);
                if (element.hasAttribute("data-kuro-after-charts")) {
                    whenDrawn(element); // revealed once the page is drawn, even if never near
                }
            }
        });
    }

    // Dash renders pages after this script runs, and again on each navigation.
    new MutationObserver(watch).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });
    watch();
})();
