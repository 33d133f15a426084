// 設定対象者の登録: show whom each typed 枝番 / 個人識別子 names, as it is typed (issue 19).
// Plain script from our own origin (CSP script-src 'self'); without it the confirmation page names them.
(function () {
  "use strict";
  var errors = document.getElementById("intake-errors");
  if (errors) { errors.focus(); }  // keyboard users start at the list of what to fix
  var input = document.getElementById("id_linked");
  var list = document.getElementById("linked-found");
  if (!input || !list || !window.fetch) { return; }
  var url = list.getAttribute("data-lookup-url");
  var timer = null;
  var asked = "";

  function show(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      if (!r.found) {
        li.className = "error";
        li.textContent = "「" + r.typed + "」に該当する方は見つかりません。";
      } else if (r.is_her) {
        li.className = "error";
        li.textContent = r.name + "（" + r.label + "）: 設定対象者本人です。要注意照会対象者にはできません。";
      } else {
        li.textContent = r.name + "（" + r.label + "）";
      }
      list.appendChild(li);
    });
  }

  function ask() {
    var text = input.value.trim();
    if (text === asked) { return; }
    asked = text;
    if (!text) { show([]); return; }
    fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (body) { if (input.value.trim() === text) { show(body.results || []); } })
      .catch(function () { /* the confirmation page names them anyway */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  });
  input.addEventListener("change", ask);
  ask();
}());
