// Insert-a-field buttons: <button data-insert="{{ .parameters.x }}" data-insert-into="ID"> puts
// the snippet at the cursor of the field with that id, and tells the page it changed (the
// preview follows).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-insert]");
  if (!button) return;
  const field = document.getElementById(button.dataset.insertInto);
  if (!field) return;
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? field.value.length;
  const text = button.dataset.insert;
  field.value = field.value.slice(0, start) + text + field.value.slice(end);
  field.focus();
  field.setSelectionRange(start + text.length, start + text.length);
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.dispatchEvent(new Event("change", { bubbles: true }));
});
