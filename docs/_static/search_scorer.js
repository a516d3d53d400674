/* Search ranking (conf.py: html_search_scorer): the concept page comes first for its own name.
 *
 * Sphinx scores a page by where the words occur; API pages repeat a concept's name in every
 * object they list, so for "attention" they outranked the page that teaches it. Here a
 * concept page whose slug is exactly the query gets the largest bonus, one whose title or
 * slug holds every word of the query a large one, and any other concept page a small one.
 * Everything else keeps Sphinx's score.
 */
(function () {
  "use strict";

  function words(text) {
    return (text || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  function score(result) {
    const [docname, title, , , base] = result;
    if (!docname || !docname.startsWith("concepts/")) return base;
    const query = words(new URLSearchParams(window.location.search).get("q"));
    const slug = words(docname.slice("concepts/".length));
    const named = [...words(title), ...slug];
    if (query.length && query.join(" ") === slug.join(" ")) return base + 200;
    if (query.length && query.every((w) => named.some((n) => n.startsWith(w)))) return base + 100;
    return base + 5;
  }

  function install() {
    if (typeof Scorer !== "undefined") Scorer.score = score;
  }

  // searchtools.js defines Scorer (with its defaults) only when none exists, so never
  // define one here: add the hook now, or once the page has loaded its scripts.
  if (typeof Scorer !== "undefined") install();
  else document.addEventListener("DOMContentLoaded", install);
})();
