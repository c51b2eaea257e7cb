/* Charts drawn only once scrolled into view. An element with ``data-kuro-lazy="<store id>"``
   sets that store's ``data`` to true (``dash_clientside.set_props``) when it comes within
   300 px of the viewport; a callback on the store then draws the chart. The compare page's
   parallel coordinates (WebGL, about 0.6 s of software rendering, below the fold) no
   longer compete with the charts above it for the first paint. */
(function () {
    var seen = new WeakSet();

    function reveal(element) {
        var store = element.getAttribute("data-kuro-lazy");
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(store, { data: true });
        }
    }

    var visible = new IntersectionObserver(
        function (entries) {
            entries.forEach(function (entry) {
                if (entry.isIntersecting) {
                    visible.unobserve(entry.target);
                    reveal(entry.target);
                }
            });
        },
        { rootMargin: "300px 0px" }
    );

    function watch() {
        document.querySelectorAll("[data-kuro-lazy]").forEach(function (element) {
            if (!seen.has(element)) {
                seen.add(element);
                visible.observe(element);
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
