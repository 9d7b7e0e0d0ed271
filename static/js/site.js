// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";

  // After a swap, focus what the user needs next, so keyboard and screen-reader users land on the
  // result of what they did: a new or changed post (marked by the server), an error summary, the
  // first field of a reply or edit form that just opened, or the message of the page a form led to.
  // A reaction button is replaced along with its post: remember which one had focus. Its value is
  // "post:kind:state" (forum/_post.html).
  var reaction = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    reaction = active && active.name === "set" && active.closest("article") ?
      { post: active.closest("article").id, prefix: active.value.split(":").slice(0, 2).join(":") } : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.elt;
    if (reaction) {
      var button = document.querySelector("#" + reaction.post + " button[name=set][value^='" + reaction.prefix + ":']");
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
    // Content marked data-keep-focus (live search results) takes focus only where the server says.
    var target = document.querySelector("[data-focus-after-swap]") || (!elt.hasAttribute("data-keep-focus") &&
      (scope.querySelector(".error-summary") ||
       (elt.matches(".reply-slot, .edit-form") && elt.querySelector("input:not([type=hidden]), textarea")) ||
       scope.querySelector(".flashes .flash")));
    if (target) {
      target.removeAttribute("data-focus-after-swap");
      if (!target.hasAttribute("tabindex") && !target.matches("a, button, input, select, textarea")) {
        target.setAttribute("tabindex", "-1");  // a post or summary can take focus without joining the tab order
      }
      target.focus();
    }
  });

  // Per-post controls, enhanced here rather than by hx-* on every post (9 KB a 100-post page). Reply
  // and Quote open the reply form in the slot under the post (a modifier-click opens its page). A
  // reaction button, which submits the page's one reactions form without JavaScript, sends its own
  // request, so quick clicks on several posts all count; the server answers with the post.
  document.addEventListener("click", function (event) {
    var control = window.htmx && event.target.closest &&
      event.target.closest(".post > ul a[href*='/reply'], button[form=react]");
    var post = control && control.closest("article");
    if (!post || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    if (control.matches("button")) {
      event.preventDefault();
      htmx.ajax("POST", "/react", { source: control, values: { set: control.value }, target: post,
                                    swap: "outerHTML" });
      return;
    }
    // The slot under the post is made when first needed (an empty one under every post cost 3 KB).
    var slot = post.nextElementSibling;
    if (!slot || !slot.matches(".reply-slot")) {
      slot = document.createElement("div");
      slot.className = "reply-slot";
      post.after(slot);
    }
    event.preventDefault();
    htmx.ajax("GET", control.getAttribute("href"), { source: control, target: slot, swap: "outerHTML" });
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
