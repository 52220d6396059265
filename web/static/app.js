// Countdowns to a closing instant, measured against the server's clock (data-now), and the CSRF
// header on every htmx request. No inline scripts: the page's CSP allows 'self' only.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function tick() {
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      var serverNow = Date.parse(el.dataset.now);
      if (!el.dataset.loaded) { el.dataset.loaded = String(Date.now()); }
      var now = serverNow + (Date.now() - Number(el.dataset.loaded));
      var left = Math.floor((deadline - now) / 1000);
      if (left <= 0) {
        el.textContent = el.dataset.over || "逾期不予受理";
        el.classList.add("over");
        return;
      }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = (d ? d + (el.dataset.lang === "en" ? "d " : "天 ") : "") +
        pad(h) + ":" + pad(m) + ":" + pad(s);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { evt.detail.headers["X-CSRF-Token"] = meta.content; }
  });
})();
