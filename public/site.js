// Fluxorae's site script: first-party conversion events (page views and clicks on calls to
// action, sent to this origin only) and small enhancements. The pages work without it.
(function () {
  'use strict';
  var path = location.pathname;
  var queue = [{ kind: 'view', path: path }];
  function flush() {
    if (!queue.length) return;
    var body = JSON.stringify(queue);
    queue = [];
    var sent = false;
    try {
      sent = navigator.sendBeacon && navigator.sendBeacon('/site/events', new Blob([body], { type: 'application/json' }));
    } catch (_) { sent = false; }
    if (!sent && window.fetch) {
      fetch('/site/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body, keepalive: true, credentials: 'same-origin' }).catch(function () {});
    }
  }
  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a[data-cta]') : null;
    if (!a) return;
    var cta = a.getAttribute('data-cta');
    queue.push({ kind: 'cta_click', path: path, cta: cta, target: a.getAttribute('href') });
    try { sessionStorage.setItem('fx_cta', cta); } catch (_) {}
    flush();
  });
  addEventListener('pagehide', flush);
  setTimeout(flush, 0);

  // Lead forms: which call to action brought the visitor, and where they came from.
  var forms = document.querySelectorAll('form[data-lead]');
  for (var i = 0; i < forms.length; i++) {
    var f = forms[i];
    try { var c = sessionStorage.getItem('fx_cta'); if (c && f.elements.cta) f.elements.cta.value = c; } catch (_) {}
    if (f.elements.referrer && document.referrer && document.referrer.indexOf(location.origin) !== 0) {
      f.elements.referrer.value = document.referrer.slice(0, 300);
    }
  }

  // The theme toggle (the hydrated app has its own).
  var toggle = document.querySelector('[data-theme-toggle]');
  if (toggle) {
    toggle.addEventListener('click', function () {
      var dark = !document.documentElement.classList.contains('dark');
      document.documentElement.classList.toggle('dark', dark);
      toggle.setAttribute('aria-pressed', dark ? 'true' : 'false');
      document.cookie = 'fx_theme=' + (dark ? 'dark' : 'light') + '; Path=/; Max-Age=31536000; SameSite=Lax';
    });
  }

  // The pricing calculator: a live estimate next to the preview table.
  var calcs = document.querySelectorAll('[data-calculator]');
  for (var j = 0; j < calcs.length; j++) {
    (function (box) {
      var live = box.querySelector('[data-calc-live]');
      var input = box.querySelector('input');
      var out = box.querySelector('output');
      if (!live || !input || !out) return;
      var rate = Number(box.getAttribute('data-rate')) || 0;
      var base = Number(box.getAttribute('data-base')) || 0;
      var fmt;
      try { fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: box.getAttribute('data-currency') || 'USD', maximumFractionDigits: 0 }); } catch (_) { fmt = null; }
      function update() {
        var n = Math.max(0, Math.min(10000, Math.floor(Number(input.value) || 0)));
        var v = base + rate * n;
        out.textContent = fmt ? fmt.format(v) : String(v);
      }
      input.addEventListener('input', update);
      live.hidden = false;
      update();
    })(calcs[j]);
  }
})();
