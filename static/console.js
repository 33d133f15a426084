/* Small helpers of the console pages, no inline script (CSP script-src 'self').
   data-fill: a button that puts a value into a field, e.g. 「資格情報の値を使う」 on the 情報提供内容入力画面: the
   member's recorded 資格喪失日 into the 副本 field the screen highlights, instead of retyping it. */
(function () {
  "use strict";
  function start() {
    var buttons = document.querySelectorAll("button[data-fill]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        var button = event.currentTarget, field = document.getElementById(button.getAttribute("data-fill"));
        if (!field) return;
        field.value = button.getAttribute("data-value");
        field.dispatchEvent(new Event("input", { bubbles: true }));  // the 和暦 preview beside a date follows
        field.focus();
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
