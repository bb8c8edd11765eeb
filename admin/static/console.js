/* The console's only script, loaded by every page; the console works without it.
 *
 * - A form or button with data-confirm="Question?" asks first; "Cancel" sends nothing.
 * - After an action, its notice ("Item saved.") is shown where the action was: inside the
 *   section the page returned to (the address's #anchor), and scrolled into view, as are
 *   the problems of a form shown again.
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
    if (target) {
      var section = target.closest("article, section, .card") || target;
      var heading = section.querySelector("h2, h3");
      if (heading && heading.parentNode === section) {
        heading.insertAdjacentElement("afterend", notice);
      } else {
        section.insertAdjacentElement("afterbegin", notice);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", placeNotice);
  } else {
    placeNotice();
  }
})();
