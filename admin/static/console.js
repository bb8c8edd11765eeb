/* The console's only script, loaded on every page; every page works without it.
   - A chat box (the simulator): Enter sends, Shift+Enter starts a new line, and the
     conversation shows its newest message.
   - A business picker: typing in its search box hides the businesses whose name does not
     contain what was typed; ticked ones always stay in view. */
(function () {
  "use strict";

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

  document.querySelectorAll("form[data-chat]").forEach(chat);
  document.querySelectorAll("[data-picker]").forEach(picker);
  newest();
})();
