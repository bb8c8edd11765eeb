/* The console's only script, loaded by every page; the console works without it.
 *
 * - A form or button with data-confirm="Question?" asks first; "Cancel" sends nothing.
 * - After an action, its notice ("Item saved.") is shown where the action was: inside the
 *   section the page returned to (the address's #anchor), and scrolled into view, as are
 *   the problems of a form shown again.
 * - A chat box (the simulator): Enter sends, Shift+Enter starts a new line, and the
 *   conversation shows its newest message.
 * - A business picker: typing in its search box hides the businesses whose name does not
 *   contain what was typed; ticked ones always stay in view.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  function inView(element) {
    var box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function placeNotice() {
    var notice = document.querySelector("main > .notice");
    if (notice) {
      moveToAnchor(notice);
    }
    // What the last action said: its problems first, else its notice (a page re-shown
    // after a post, such as a preview, has it beside the form).
    var shown = document.querySelector("main .errors") || document.querySelector("main .notice");
    if (shown && !inView(shown)) {
      shown.scrollIntoView({ block: "center" });
    }
  }

  function moveToAnchor(notice) {
    var anchor = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    var target = anchor ? document.getElementById(anchor) : null;
    if (!target) {
      return;
    }
    // A part of a section (one language's text of a lesson): the page opens at that part, so
    // the notice goes at its top. A table row cannot hold it: its section's top then.
    if (!target.matches("article, section, .card, table, thead, tbody, tr, td, th")) {
      target.insertAdjacentElement("afterbegin", notice);
      return;
    }
    var section = target.closest("article, section, .card") || target;
    var heading = section.querySelector("h2, h3");
    if (heading && heading.parentNode === section) {
      heading.insertAdjacentElement("afterend", notice);
    } else {
      section.insertAdjacentElement("afterbegin", notice);
    }
  }


  function chat(form) {
    var box = form.querySelector("textarea[data-enter-sends]");
    if (box) {
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (box.value.trim() !== "") { form.requestSubmit(); }
        }
      });
    }
  }

  function newest() {
    var last = document.querySelector("[data-newest]");
    if (last) {
      var list = last.parentElement;
      list.scrollTop = list.scrollHeight;
      last.scrollIntoView({ block: "nearest" });
      var box = document.querySelector("textarea[data-enter-sends]");
      /* After the page has gone to its #newest anchor, which would otherwise take the focus. */
      if (box) {
        window.addEventListener("load", function () {
          window.setTimeout(function () { box.focus({ preventScroll: true }); }, 0);
        });
      }
    }
  }

  function picker(root) {
    var search = root.querySelector("input[type=search]");
    var options = root.querySelectorAll("[data-name]");
    var count = root.querySelector("[data-shown]");
    if (!search) { return; }
    search.hidden = false;
    function filter() {
      var wanted = search.value.trim().toLowerCase();
      var shown = 0;
      options.forEach(function (option) {
        var box = option.querySelector("input");
        var match = wanted === "" || option.dataset.name.indexOf(wanted) !== -1;
        var visible = match || (box && box.checked);
        option.hidden = !visible;
        if (visible) { shown += 1; }
      });
      if (count) { count.textContent = shown + " of " + options.length + " shown"; }
    }
    search.addEventListener("input", filter);
    /* Enter in the search box filters; it does not send the whole form. */
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); filter(); }
    });
    filter();
  }

  function start() {
    placeNotice();
    document.querySelectorAll("form[data-chat]").forEach(chat);
    document.querySelectorAll("[data-picker]").forEach(picker);
    newest();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
