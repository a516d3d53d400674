/* Site-wide touches that CSS alone cannot make.
 *
 * MathJax cannot break inline math across lines, so a long inline formula on a phone would
 * widen the whole page. Once MathJax has typeset, mark each inline formula wider than its
 * line so that site.css makes it scroll on its own (with a visible cue), and look again
 * when the window changes size.
 */
(function () {
  "use strict";

  function markWideInlineMath() {
    document.querySelectorAll('mjx-container:not([display="true"])').forEach((math) => {
      math.classList.remove("mjx-wide-inline");
      const line = math.closest("label, p, li, dd, td, th, figcaption, div") || math.parentElement;
      if (line && math.getBoundingClientRect().width > line.clientWidth + 1) math.classList.add("mjx-wide-inline");
    });
  }

  let pending = null;
  function later() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(markWideInlineMath, 150);
  }

  // MathJax loads asynchronously: by the load event its startup promise exists.
  function start() {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(markWideInlineMath).catch(() => {});
    else markWideInlineMath();
    window.addEventListener("resize", later);
  }

  window.markWideInlineMath = markWideInlineMath; // quiz.js calls it after typesetting feedback
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
