// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";

  // After a swap, move focus to what the user needs next, so keyboard and screen-reader users land
  // on the result of what they just did: a new or changed post (marked by the server), an error
  // summary, or the first field of a reply or edit form that just opened.
  // A reaction button is replaced along with its post: remember which one had focus.
  var reaction = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    reaction = active && active.name === "set" && active.closest("article") ?
      { post: active.closest("article").id, kind: active.value.split(":")[0] } : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.elt;
    if (reaction) {
      var button = document.querySelector("#" + reaction.post + " button[name=set][value^='" + reaction.kind + ":']");
      reaction = null;
      if (button) {
        button.focus();
        return;
      }
    }
    if (!elt || !elt.isConnected) {
      return;
    }
    var scope = elt.parentElement || elt;
    var target = document.querySelector("[data-focus-after-swap]") ||
      scope.querySelector(".error-summary") ||
      (elt.matches(".reply-slot, .edit-form") && elt.querySelector("input:not([type=hidden]), textarea"));
    if (target) {
      target.removeAttribute("data-focus-after-swap");
      if (!target.hasAttribute("tabindex") && !target.matches("a, button, input, select, textarea")) {
        target.setAttribute("tabindex", "-1");  // a post or summary can take focus without joining the tab order
      }
      target.focus();
    }
  });

  // Ask before destructive actions marked with data-confirm (a confirm page serves no-JS users).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
  });
})();
