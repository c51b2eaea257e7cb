/* Cell formatters of the dashboard's grids (dash-ag-grid looks functions up here).
   Cells hold numbers, null (no value) or the wire strings "NaN", "Infinity", "-Infinity"
   (``formats.cell``); numbers are shown like Python's ``format(x, ".4g")``. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

/* ``format(value, ".<digits>g")`` as Python writes it: 0.9698, -0.02065, 4.1e-06. */
dagfuncs.kuroSignificant = function (value, digits) {
    if (value === 0) {
        return "0";
    }
    var exponent = Number(value.toExponential(digits - 1).split("e")[1]);
    if (exponent < -4 || exponent >= digits) {
        var parts = value.toExponential(digits - 1).split("e");
        var mantissa = parts[0].indexOf(".") >= 0 ? parts[0].replace(/\.?0+$/, "") : parts[0];
        var power = Number(parts[1]);
        var sign = power < 0 ? "-" : "+";
        var magnitude = String(Math.abs(power));
        return mantissa + "e" + sign + (magnitude.length < 2 ? "0" : "") + magnitude;
    }
    var fixed = value.toFixed(Math.max(0, digits - 1 - exponent));
    return fixed.indexOf(".") >= 0 ? fixed.replace(/\.?0+$/, "") : fixed;
};

/* A grid cell: a dash for no value, the infinities spelled out, whole numbers (counts,
   ids) as they are, other numbers to ``digits`` significant digits (default 4). */
dagfuncs.kuroNumber = function (value, digits) {
    if (value === null || value === undefined || value === "NaN" || value === "") {
        return "—";
    }
    if (value === "Infinity" || value === "-Infinity") {
        return value;
    }
    if (typeof value !== "number") {
        return String(value);
    }
    if (!isFinite(value)) {
        return value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "—";
    }
    if (Number.isInteger(value) && Math.abs(value) < 1e15) {
        return String(value);
    }
    return dagfuncs.kuroSignificant(value, digits || 4);
};

/* A p-value to two significant digits: 0.019, 4.1e-06. */
dagfuncs.kuroPValue = function (value) {
    return dagfuncs.kuroNumber(value, 2);
};
