/* Behaviour shared by every staff page, kept out of the HTML so the Content-Security-Policy
   needs no inline script: a select marked data-autosubmit sends its form when changed
   (business and language switches). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
})();
