// The navigation's Menu button on narrow screens: shows and hides the links. Without this
// script the links simply show, wrapped (the button is hidden until the script marks the page).
(function () {
  "use strict";
  document.documentElement.classList.add("has-menu");
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-toggle]");
    if (!button) return;
    var links = document.getElementById(button.getAttribute("aria-controls"));
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    links.classList.toggle("open", open);
  });
})();
