// A display name suggests the identifier (`Customer notifications` -> `customer_notifications`),
// by the rule of actions/common/validation.py identifier_from, as long as the identifier is
// empty or still the suggestion: once typed in itself, it is left alone.
(function () {
  "use strict";
  function identifierFrom(text) {
    var ascii = (text || "").normalize("NFKD").replace(/[^\x00-\x7f]/g, "").toLowerCase();
    var words = ascii.match(/[a-z0-9]+/g) || [];
    var identifier = words.join("_").replace(/^[0-9_]+/, "");
    return identifier.slice(0, 64).replace(/_+$/, "");
  }
  document.addEventListener("input", function (event) {
    var source = event.target;
    if (!source.matches || !source.matches("[data-identifier-source]")) return;
    var target = source.form && source.form.querySelector("[data-identifier]");
    if (!target) return;
    if (target.value && target.value !== target.getAttribute("data-suggested")) return;
    var suggestion = identifierFrom(source.value);
    target.value = suggestion;
    target.setAttribute("data-suggested", suggestion);
    target.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
