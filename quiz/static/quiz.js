/* The retrieval check, interactive: the same grading rules as quiz/grading.py.
 *
 * Progressive enhancement: without JavaScript the page shows each question with its
 * answer behind a dropdown. With it, each question becomes a small form that grades the
 * answer, explains it in words, and keeps a running score; "Try again" reshuffles.
 * Nothing is fetched; everything the script needs is in the page.
 */
(function () {
  "use strict";

  // ---- Grading: keep in step with quiz/grading.py (tests/quiz/grading_cases.json checks both)

  class AnswerFormatError extends Error {}

  const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/;
  const THOUSANDS = /^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/;

  function normalizeText(text, fold) {
    const lowered = text.normalize("NFKC").toLowerCase();
    let folded = "";
    for (const ch of lowered) folded += Object.prototype.hasOwnProperty.call(fold, ch) ? fold[ch] : ch;
    return folded.split(/\s+/u).filter(Boolean).join(" ");
  }

  function parseNumber(text, unit, fold) {
    let s = normalizeText(text, fold).replace(/\u2212/g, "-");
    if (unit) {
      const u = normalizeText(unit, fold);
      if (s.endsWith(u)) s = s.slice(0, s.length - u.length).trim();
    }
    const percent = s.endsWith("%");
    if (percent) s = s.slice(0, -1).trim();
    if (THOUSANDS.test(s)) s = s.replace(/,/g, "");
    let value = NaN;
    if (s.includes("/")) {
      const at = s.indexOf("/");
      const num = s.slice(0, at).trim();
      const den = s.slice(at + 1).trim();
      if (NUMBER.test(num) && NUMBER.test(den) && Number(den) !== 0) value = Number(num) / Number(den);
    } else if (NUMBER.test(s)) {
      value = Number(s);
    }
    if (!Number.isFinite(value)) {
      throw new AnswerFormatError(
        "expected a number such as 0.125, 1/8, 1e-3 or 2,359,296" + (unit ? ` (optionally followed by ${unit})` : "")
      );
    }
    return percent ? value / 100 : value;
  }

  function isClose(a, b, relTol, absTol) {
    // Python's math.isclose: |a - b| <= max(rel_tol * max(|a|, |b|), abs_tol)
    if (a === b) return true;
    return Math.abs(a - b) <= Math.max(relTol * Math.max(Math.abs(a), Math.abs(b)), absTol);
  }

  /* answer: a list of option ids (single, multi), a typed string (numeric, text). */
  function parseAnswer(q, answer, fold) {
    if (q.type === "single" || q.type === "multi") {
      if (!Array.isArray(answer) || answer.length === 0) {
        throw new AnswerFormatError(q.type === "single" ? "choose one option" : "choose at least one option");
      }
      if (q.type === "single" && answer.length !== 1) throw new AnswerFormatError("choose one option");
      return q.options.map((o) => o.id).filter((id) => answer.includes(id));
    }
    if (q.type === "numeric") return parseNumber(answer, q.unit, fold);
    const normalized = normalizeText(answer, fold);
    if (!normalized) throw new AnswerFormatError("expected a word or a short phrase");
    return normalized;
  }

  /* The listed misconception a wrong parsed answer matches, or null: as find_misconception
   * in quiz/grading.py. A number matches within the question's own tolerance (the nearest
   * wins, the first on a tie); a text when both normalise to the same string. */
  function findMisconception(q, answer, fold) {
    const listed = q.misconceptions || [];
    if (q.type === "numeric") {
      let best = null;
      listed.forEach((m, index) => {
        if (!isClose(answer, Number(m.answer), q.rel_tol || 0, q.abs_tol || 0)) return;
        const distance = Math.abs(answer - Number(m.answer));
        if (best === null || distance < best.distance) best = { index, distance };
      });
      return best === null ? null : best.index;
    }
    if (q.type === "text") {
      const index = listed.findIndex((m) => normalizeText(String(m.answer), fold) === answer);
      return index < 0 ? null : index;
    }
    return null;
  }

  function grade(q, answer, fold) {
    if (q.type === "single" || q.type === "multi") {
      const right = q.options.filter((o) => o.correct).map((o) => o.id);
      return right.length === answer.length && right.every((id) => answer.includes(id));
    }
    if (q.type === "numeric") return isClose(answer, q.answer, q.rel_tol || 0, q.abs_tol || 0);
    if (q.accept.some((a) => normalizeText(a, fold) === answer)) return true;
    return Boolean(q.regex) && pythonRegex(q.regex).test(answer);
  }

  /* A bank's regex is written for Python's re, which accepts escapes JavaScript's Unicode
   * mode rejects (\" or \- outside a class). Try it as written, then without the needless
   * escapes, then without the u flag, so one odd pattern never breaks the page. */
  function pythonRegex(pattern) {
    const source = `^(?:${pattern})$`;
    try {
      return new RegExp(source, "u");
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
    try {
      return new RegExp(source.replace(/\\([^A-Za-z0-9\\^$.*+?()[\]{}|/-])/g, "$1"), "u");
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
    return new RegExp(source);
  }

  /* Grade one raw answer: "right", "wrong", or "invalid" with the hint. */
  function verdict(q, raw, fold) {
    try {
      return grade(q, parseAnswer(q, raw, fold), fold) ? "right" : "wrong";
    } catch (err) {
      if (err instanceof AnswerFormatError) return "invalid";
      throw err;
    }
  }

  // ---- The page

  const LETTERS = "abcdefgh";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function shuffled(items) {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  function cloneChildren(node) {
    const frag = document.createDocumentFragment();
    if (node) for (const child of node.childNodes) frag.append(child.cloneNode(true));
    return frag;
  }

  function setupQuestion(block, q, fold, onGraded, uid) {
    const staticOptions = block.querySelector("ol.quiz-options");
    const details = block.querySelector("details");
    const optionHtml = staticOptions ? Array.from(staticOptions.children).map((li) => li.querySelector("p") || li) : [];
    const explainHtml = details ? Array.from(details.querySelectorAll(".quiz-explain")) : [];
    const explanation = details ? details.querySelector(".quiz-explanation") : null;
    const reread = details ? details.querySelector(".quiz-reread") : null;
    const key = details ? details.querySelector(".quiz-key") : null;
    const misconceptions = details ? Array.from(details.querySelectorAll(".quiz-misconception")) : [];
    const misconceptionList = details ? details.querySelector(".quiz-misconceptions") : null;
    const hint = block.querySelector(".quiz-hint");
    if (staticOptions) staticOptions.hidden = true;
    if (details) details.hidden = true;
    if (misconceptionList) misconceptionList.hidden = true; // shown one at a time, when given

    const form = el("form", { class: "quiz-form", novalidate: "" });
    const feedback = el("div", { class: "quiz-feedback", role: "status", "aria-live": "polite" });
    const check = el("button", { type: "submit", class: "quiz-check", text: "Check" });
    const inputs = [];
    let order = [];

    function render() {
      form.replaceChildren();
      feedback.replaceChildren();
      inputs.length = 0;
      if (q.type === "single" || q.type === "multi") {
        order = shuffled(q.options.map((_, i) => i));
        const fieldset = el("fieldset", { class: "quiz-choices" });
        fieldset.append(el("legend", { text: q.type === "single" ? "Choose one" : "Choose all that apply" }));
        order.forEach((index, pos) => {
          const id = `${uid}-opt-${index}`;
          const input = el("input", {
            type: q.type === "single" ? "radio" : "checkbox",
            name: `${uid}-choice`,
            id,
            value: q.options[index].id,
          });
          const label = el("label", { for: id }, el("span", { class: "quiz-letter", text: `${LETTERS[pos]}) ` }));
          label.append(cloneChildren(optionHtml[index]));
          inputs.push(input);
          fieldset.append(el("div", { class: "quiz-choice" }, input, label));
        });
        form.append(fieldset);
      } else {
        const id = `${uid}-input`;
        const input = el("input", { type: "text", id, autocomplete: "off", spellcheck: "false", class: "quiz-input" });
        if (q.type === "numeric") input.setAttribute("inputmode", "decimal");
        const what = q.type === "numeric" ? `Your answer (a number${q.unit ? ", in " + q.unit : ""})` : "Your answer";
        inputs.push(input);
        form.append(el("label", { for: id, text: what }), input);
      }
      check.disabled = false;
      form.append(check);
    }

    function given() {
      if (q.type === "single" || q.type === "multi") return inputs.filter((i) => i.checked).map((i) => i.value);
      return inputs[0].value;
    }

    function show(right, answer) {
      const head = el("p", { class: right ? "quiz-verdict quiz-right" : "quiz-verdict quiz-wrong" });
      head.append(el("span", { "aria-hidden": "true", text: right ? "\u2713 " : "\u2717 " }));
      head.append(el("strong", { text: right ? "Right." : "Wrong." }));
      feedback.replaceChildren(head);
      if (q.type === "single" || q.type === "multi") {
        for (const id of answer) {
          const index = q.options.findIndex((o) => o.id === id);
          const letter = LETTERS[order.indexOf(index)];
          const p = el("p", { class: "quiz-chosen" }, el("strong", {
            text: `You chose ${letter}) (${q.options[index].correct ? "right" : "wrong"}): `,
          }));
          p.append(cloneChildren(explainHtml[index]));
          feedback.append(p);
        }
        if (!right) {
          q.options.forEach((o, index) => {
            if (!o.correct) return;
            const letter = LETTERS[order.indexOf(index)];
            const p = el("p", { class: "quiz-answer" }, el("strong", { text: `The right answer: ${letter}) ` }));
            p.append(cloneChildren(optionHtml[index]));
            if (!answer.includes(o.id)) p.append(" \u2014 ", cloneChildren(explainHtml[index]));
            feedback.append(p);
          });
        }
      } else if (!right) {
        // What was typed is in the box above; say what it means, then the key.
        const index = findMisconception(q, answer, fold);
        if (index !== null && misconceptions[index]) {
          const p = el("p", { class: "quiz-misconception-shown" }, el("strong", { text: "A common slip: " }));
          p.append(cloneChildren(misconceptions[index]));
          feedback.append(p);
        }
        if (key) feedback.append(el("p", { class: "quiz-answer" }, cloneChildren(key)));
      }
      if (explanation) feedback.append(el("div", { class: "quiz-why" }, cloneChildren(explanation)));
      if (reread) feedback.append(el("p", {}, cloneChildren(reread)));
      if (window.MathJax && window.MathJax.typesetPromise) {
        window.MathJax.typesetPromise([feedback])
          .then(() => window.markWideInlineMath && window.markWideInlineMath())
          .catch(() => {});
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (check.disabled) return;
      let answer;
      try {
        answer = parseAnswer(q, given(), fold);
      } catch (err) {
        if (!(err instanceof AnswerFormatError)) throw err;
        feedback.replaceChildren(el("p", { class: "quiz-verdict quiz-invalid", text: `Not an answer: ${err.message}. Try again.` }));
        return;
      }
      const right = grade(q, answer, fold);
      inputs.forEach((i) => (i.disabled = true));
      check.disabled = true;
      show(right, answer);
      onGraded(right);
    });

    const anchor = staticOptions || hint || block.lastChild;
    anchor.after(form, feedback);
    if (hint) hint.hidden = true; // the form's legend or label says the same
    render();
    return render;
  }

  function setupSection(section) {
    const data = section.querySelector("script.quiz-data");
    if (!data) return;
    const bank = JSON.parse(data.textContent);
    const blocks = Array.from(section.querySelectorAll(".quiz-question"));
    const score = el("p", { class: "quiz-score", role: "status", "aria-live": "polite" });
    const again = el("button", { type: "button", class: "quiz-again", text: "Try again" });
    let answered = 0;
    let right = 0;
    const update = () => {
      score.textContent = `Score: ${right} of ${answered} answered (${blocks.length} questions).`;
    };
    const resets = blocks.map((block, i) =>
      setupQuestion(block, bank.questions[i], bank.fold, (ok) => {
        answered += 1;
        right += ok ? 1 : 0;
        update();
      }, `quiz-${bank.concept}-${i}`)
    );
    again.addEventListener("click", () => {
      answered = 0;
      right = 0;
      resets.forEach((reset) => reset());
      update();
    });
    const bar = el("div", { class: "quiz-bar" }, score, again);
    section.insertBefore(bar, blocks[0] || null);
    section.classList.add("quiz-live");
    const how = section.querySelector(".quiz-intro-how");
    if (how) how.textContent = "Choose or type an answer and press Check to see the verdict and why";
    update();
  }

  window.quizGrading = { normalizeText, parseNumber, parseAnswer, grade, verdict, findMisconception };
  const start = () => document.querySelectorAll(".quiz-questions").forEach(setupSection);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
