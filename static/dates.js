/* The 和暦 of what was typed, beside each date field (console/fields.py DateTextInput). The server's parser
   (nakama/dates.py) decides; this mirrors its formats with the same era table (data-eras) so the clerk sees at
   once which day she typed. No inline script anywhere: CSP script-src 'self'. */
(function () {
  "use strict";

  function normalize(text) {
    return (text || "").normalize("NFKC").replace(/[－ー‐―]/g, "-").replace(/\s+/g, "");
  }

  function realDate(y, m, d) {
    var day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
    return day;
  }

  function iso(day) { return day.toISOString().slice(0, 10); }

  function eraOf(eras, day) {
    for (var i = 0; i < eras.length; i++) {
      if (iso(day) >= eras[i].start) return { era: eras[i], year: day.getUTCFullYear() - Number(eras[i].start.slice(0, 4)) + 1 };
    }
    return null;
  }

  function wareki(eras, day) {
    var found = eraOf(eras, day), m = day.getUTCMonth() + 1, d = day.getUTCDate();
    if (!found) return day.getUTCFullYear() + "年" + m + "月" + d + "日";
    return found.era.name + (found.year === 1 ? "元" : found.year) + "年" + m + "月" + d + "日";
  }

  function parse(eras, text) {
    var v = normalize(text), names = eras.map(function (e) { return e.name; }).join("|");
    var letters = eras.map(function (e) { return e.letter; }).join("");
    var kanji = new RegExp("^(" + names + ")(元|\\d{1,2})年(\\d{1,2})月(\\d{1,2})日?$");
    var letter = new RegExp("^([" + letters + "])(\\d{1,2})[./-](\\d{1,2})[./-](\\d{1,2})$", "i");
    var western = /^(\d{4})(?:[./-]|年)(\d{1,2})(?:[./-]|月)(\d{1,2})日?$/;
    var compact = /^(\d{4})(\d{2})(\d{2})$/;
    var m = v.match(kanji) || v.match(letter);
    if (m) {
      var key = m[1].toUpperCase(), era = eras.filter(function (e) { return e.name === m[1] || e.letter === key; })[0];
      var year = m[2] === "元" ? 1 : Number(m[2]);
      if (year < 1) return null;
      var day = realDate(Number(era.start.slice(0, 4)) + year - 1, Number(m[3]), Number(m[4]));
      if (!day) return null;
      var found = eraOf(eras, day);
      return found && found.era === era ? day : null;  // 平成31年5月1日 is not a day of 平成
    }
    m = v.match(western) || v.match(compact);
    return m ? realDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
  }

  function preview(input) {
    var out = document.getElementById(input.getAttribute("aria-describedby"));
    if (!out) return;
    var eras = JSON.parse(input.getAttribute("data-eras"));
    if (!input.value.trim()) { out.textContent = ""; out.classList.remove("unreadable"); return; }
    var day = parse(eras, input.value);
    out.textContent = day ? wareki(eras, day) + "（" + day.getUTCFullYear() + "年）" : "日付として読めません";
    out.classList.toggle("unreadable", !day);
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-date-input]");
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].addEventListener("input", function (event) { preview(event.target); });
      preview(inputs[i]);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
