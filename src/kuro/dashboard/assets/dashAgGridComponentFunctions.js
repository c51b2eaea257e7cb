/* Cell components of the dashboard's grids (dash-ag-grid looks them up here by name). */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
    window.dashAgGridComponentFunctions || {});

/* A link: the cell's value "[text](href)", as a markdown cell would have it, drawn as
   <a href="href">text</a> without the markdown renderer, which cost a first view of the
   compare page about 0.1 s for its trials' links. Any other value is shown as it is. */
dagcomponentfuncs.KuroLink = function (props) {
    var value = props.value === null || props.value === undefined ? "" : String(props.value);
    var match = /^\[([^\]]*)\]\(([^)\s]*)\)$/.exec(value);
    if (!match) {
        return value;
    }
    return React.createElement("a", { href: match[2] }, match[1]);
};
