/* Behaviour shared by every staff page, kept out of the HTML so the Content-Security-Policy
   needs no inline script or handler:
   - a select marked data-autosubmit sends its form when changed (business and language
     switches);
   - a button marked data-print prints the page (receipt, end of day);
   - a field marked data-select-on-focus selects its whole text when focused (an address to
     copy). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if ((target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) &&
        target.hasAttribute("data-select-on-focus")) {
      target.select();
    }
  });
})();
