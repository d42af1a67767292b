// Copy buttons: <button data-copy="ID"> copies the text of the element with that id (the value
// of an input).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const note = button.parentElement.querySelector(".copied");
  try {
    await navigator.clipboard.writeText(source.matches("input, textarea") ? source.value : source.textContent);
    if (note) note.textContent = "Copied.";
  } catch (error) {
    // No clipboard (an http:// page, a denied permission): select the text to copy by hand.
    if (source.matches("input, textarea")) {
      source.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    if (note) note.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
});
