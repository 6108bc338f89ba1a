/* The message template editor (Messages → template): a placeholder button inserts
   {placeholder} where the cursor was in the last text box used, the form remembers the
   chosen channel (the CSS shows the fields of that channel), and a change of the approved
   WhatsApp name recounts every text (WhatsApp's limit depends on it). Loaded by
   template_edit.html. */
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("template-form");
    if (!form) { return; }
    var last = null;
    form.addEventListener("focusin", function (event) {
      if (event.target.matches("textarea, input[name$='-subject']")) { last = event.target; }
    });
    form.querySelectorAll("[data-placeholder]").forEach(function (button) {
      button.addEventListener("click", function () {
        var box = last || form.querySelector("details[open] textarea");
        if (!box || box.readOnly) { return; }
        var text = "{" + button.dataset.placeholder + "}";
        box.setRangeText(text, box.selectionStart, box.selectionEnd, "end");
        box.focus();
        box.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    var approved = form.querySelector("input[name=whatsapp_name]");
    if (approved) {
      approved.addEventListener("change", function () {
        form.querySelectorAll("textarea").forEach(function (box) {
          if (box.value.trim()) { box.dispatchEvent(new Event("change", { bubbles: true })); }
        });
      });
    }
    var channel = form.querySelector("select[name=channel]");
    if (channel) {
      channel.addEventListener("change", function () { form.dataset.channel = channel.value; });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
