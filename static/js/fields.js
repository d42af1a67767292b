// A field is marked invalid (aria-invalid: Pico's red border and icon) exactly while its error
// shows. Each error slot is `<small class="error" id="<field id>_error">`, the id Django's
// aria-describedby names. The server fills the slots — on the page after a failed save, and in
// live (htmx) validation as the person types — and this keeps the field in step: marked, and
// described by its error, while the slot has text; unmarked when it empties. Live validation
// checks the whole form, so a field's error stays hidden until the person has changed that
// field (or tried to save): choosing a method does not turn the fields it shows red.
// After a failed save, the error summary takes the focus; its links open folded sections.
(function () {
  "use strict";
  var touched = {};

  function controlOf(slot) {
    return document.getElementById(slot.id.slice(0, -"_error".length));
  }

  function describe(control, id, on) {
    var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    ids = ids.filter(function (other) { return other !== id; });
    if (on) ids.unshift(id);
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
  }

  function sync() {
    document.querySelectorAll("small.error[id$='_error']").forEach(function (slot) {
      var control = controlOf(slot);
      if (!control) return;
      var text = slot.textContent.trim() !== "";
      var shown = text && touched[control.id] === true;
      slot.hidden = text && !shown;
      if (shown) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      describe(control, slot.id, shown);
    });
  }

  function touch(event) {
    var control = event.target;
    if (control && control.id && control.closest && control.closest("form")) {
      touched[control.id] = true;
    }
  }

  document.addEventListener("input", touch, true);
  document.addEventListener("change", touch, true);

  document.addEventListener("DOMContentLoaded", function () {
    // Errors on the page as it arrives are a save's: every one of them shows.
    document.querySelectorAll("small.error[id$='_error']").forEach(function (slot) {
      var control = controlOf(slot);
      if (control && slot.textContent.trim() !== "") touched[control.id] = true;
    });
    sync();
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
  document.addEventListener("htmx:oobAfterSwap", sync);
  document.addEventListener("htmx:afterSettle", sync);

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-link]");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("data-error-link"));
    if (!target) return;
    event.preventDefault();
    for (var folded = target.closest("details"); folded; folded = folded.parentElement.closest("details")) {
      folded.open = true;
    }
    target.scrollIntoView({ block: "center" });
    if (target.matches("input, select, textarea, button")) target.focus();
    else if (target.querySelector("input, select, textarea")) target.querySelector("input, select, textarea").focus();
  });
})();
