// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";

  // Focus what a swap asked for (a new post), else an error summary, so keyboard and
  // screen-reader users land on the result of what they just did.
  function focusAfterSwap(root) {
    var target = root.querySelector("[data-focus-after-swap]") || root.querySelector(".error-summary") ||
      (root.classList && root.classList.contains("reply-slot") && root.querySelector("textarea"));
    if (!target && root.matches && root.matches("[data-focus-after-swap], .error-summary")) {
      target = root;
    }
    if (target) {
      target.removeAttribute("data-focus-after-swap");
      target.focus();
    }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.detail.elt;
    if (swapped && swapped.isConnected) {
      focusAfterSwap(swapped.parentElement || swapped);
    }
  });

  // Ask before destructive actions marked with data-confirm (a confirm page serves no-JS users).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
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
