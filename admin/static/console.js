/* The console's only script, loaded by every page; the console works without it.
 *
 * - A form or button with data-confirm="Question?" asks first; "Cancel" sends nothing.
 * - After an action, its notice ("Item saved.") is shown where the action was: inside the
 *   section the page returned to (the address's #anchor), and scrolled into view.
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

  function placeNotice() {
    var notice = document.querySelector("main > .notice");
    if (!notice) {
      return;
    }
    var anchor = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    var target = anchor ? document.getElementById(anchor) : null;
    if (target) {
      var section = target.closest("section, .card") || target;
      var heading = section.querySelector("h2, h3");
      if (heading && heading.parentNode === section) {
        heading.insertAdjacentElement("afterend", notice);
      } else {
        section.insertAdjacentElement("afterbegin", notice);
      }
    }
    notice.scrollIntoView({ block: "center" });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", placeNotice);
  } else {
    placeNotice();
  }
})();
