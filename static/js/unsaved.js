// Forms marked data-unsaved-warning: leaving the page with typed changes not saved asks first.
// Saving (submitting the form) leaves without asking.
(function () {
  "use strict";
  var dirty = false;
  function changed(event) {
    if (event.target.closest && event.target.closest("form[data-unsaved-warning]")) dirty = true;
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-unsaved-warning]")) dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
