// pipe's browser views: sortable, filterable run tables and values under
// the pointer on charts. Plain DOM code, no libraries, so report.html works
// from disk without a network.
(function () {
  "use strict";

  function cellValue(td) {
    var s = td.textContent.trim();
    var n = parseFloat(s.split(" ± ")[0]);
    return isNaN(n) || !/^[-+]?(\d|\.\d)/.test(s) ? null : n;
  }

  function initTable(box) {
    var table = box.querySelector("table.runs");
    if (!table || table.dataset.ready) return;
    table.dataset.ready = "1";
    var tbody = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var desc = th.classList.contains("sorted-asc");
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(desc ? "sorted-desc" : "sorted-asc");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.forEach(function (r, i) { if (r.dataset.order === undefined) r.dataset.order = i; });
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var nx = cellValue(x), ny = cellValue(y), c;
          if (nx === null && ny === null) c = x.textContent.localeCompare(y.textContent);
          else if (nx === null) return 1;   // text and missing after numbers
          else if (ny === null) return -1;
          else c = nx - ny;
          if (desc) c = -c;
          return c || (a.dataset.order - b.dataset.order);
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
    var filter = box.querySelector("input.filter");
    if (filter) {
      var apply = function () {
        var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        Array.prototype.forEach.call(tbody.rows, function (r) {
          var text = r.textContent.toLowerCase();
          var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
          r.classList.toggle("hidden", !ok);
          if (ok) shown++;
        });
        var count = box.querySelector(".count");
        if (count) count.textContent = shown + " of " + tbody.rows.length + " rows";
      };
      filter.addEventListener("input", apply);
      apply();
    }
    var constToggle = box.querySelector("input.show-const");
    if (constToggle) {
      constToggle.addEventListener("change", function () {
        table.classList.toggle("hide-const", !constToggle.checked);
      });
    }
  }

  function fmt(v) {
    if (Math.abs(v) >= 1000 || Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
    return v.toPrecision(4);
  }

  function initChart(fig) {
    if (fig.dataset.ready) return;
    fig.dataset.ready = "1";
    var dataEl = fig.querySelector("script.chart-data");
    var svg = fig.querySelector("svg");
    if (!dataEl || !svg) return;
    var d = JSON.parse(dataEl.textContent);
    var tip = fig.querySelector(".tip");
    var guide = svg.querySelector(".guide");
    svg.addEventListener("mousemove", function (ev) {
      var pt = svg.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      if (p.x < d.PX0 || p.x > d.PX1) { tip.hidden = true; guide.setAttribute("visibility", "hidden"); return; }
      var x = d.X0 + (p.x - d.PX0) / (d.PX1 - d.PX0) * (d.X1 - d.X0);
      if (d.Categories) x = Math.round(x);
      var lines = [], at = null;
      d.series.forEach(function (s) {
        var best = null;
        s.pts.forEach(function (q) { if (best === null || Math.abs(q[0] - x) < Math.abs(best[0] - x)) best = q; });
        if (best === null) return;
        if (at === null || Math.abs(best[0] - x) < Math.abs(at - x)) at = best[0];
        lines.push([s, best]);
      });
      if (at === null) return;
      var label = d.Categories ? d.Categories[at] : d.xlabel + " " + fmt(at);
      tip.innerHTML = "";
      var head = document.createElement("b");
      head.textContent = label;
      tip.appendChild(head);
      lines.filter(function (l) { return l[1][0] === at; }).slice(0, 12).forEach(function (l) {
        var row = document.createElement("div");
        var sw = document.createElement("i");
        sw.style.background = l[0].color;
        row.appendChild(sw);
        row.appendChild(document.createTextNode(l[0].name + ": " + fmt(l[1][1])));
        tip.appendChild(row);
      });
      tip.hidden = false;
      var gx = d.PX0 + (at - d.X0) / (d.X1 - d.X0) * (d.PX1 - d.PX0);
      guide.setAttribute("x1", gx); guide.setAttribute("x2", gx);
      guide.setAttribute("visibility", "visible");
      var r = fig.getBoundingClientRect();
      var left = ev.clientX - r.left + 14;
      if (left + tip.offsetWidth > r.width) left = ev.clientX - r.left - tip.offsetWidth - 14;
      tip.style.left = left + "px";
      tip.style.top = (ev.clientY - r.top + 10) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; guide.setAttribute("visibility", "hidden"); });
  }

  // Picking rows for comparison (pipe serve's trials table).
  function initPicks(box) {
    var button = box.querySelector("button.compare");
    if (!button || button.dataset.ready) return;
    button.dataset.ready = "1";
    var picked = function () {
      return Array.prototype.filter.call(box.querySelectorAll("input.pick"), function (c) { return c.checked; })
        .map(function (c) { return c.value; });
    };
    box.addEventListener("change", function () { button.disabled = picked().length === 0; });
    button.addEventListener("click", function () { location.href = "/compare?keys=" + picked().join(","); });
  }

  // "only differing settings" on the comparison view.
  function initOnlyDiff(box) {
    var only = box.querySelector("input.only-diff");
    if (!only) return;
    only.addEventListener("change", function () {
      Array.prototype.forEach.call(box.querySelectorAll("tbody tr"), function (r) {
        r.classList.toggle("hidden", only.checked && !r.classList.contains("differs"));
      });
    });
  }

  // The dashboard's live progress: poll /api/state, redraw the cards, and
  // reload the trials table (keeping picks and the filter) when the store
  // changed.
  function sparkline(curve) {
    var svgNS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 220 44");
    var pts = curve.filter(function (p) { return typeof p[1] === "number"; });
    if (pts.length > 1) {
      var x0 = pts[0][0], x1 = pts[pts.length - 1][0];
      var ys = pts.map(function (p) { return p[1]; });
      var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
      if (hi === lo) { hi = lo + 1; }
      var d = pts.map(function (p, i) {
        var x = 2 + (p[0] - x0) / Math.max(1, x1 - x0) * 216, y = 42 - (p[1] - lo) / (hi - lo) * 40;
        return (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
      }).join("");
      var path = document.createElementNS(svgNS, "path");
      path.setAttribute("d", d);
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "#0072b2");
      path.setAttribute("stroke-width", "1.5");
      svg.appendChild(path);
    }
    return svg;
  }

  function dur(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + (s % 60) + "s";
    return Math.floor(s / 3600) + "h" + Math.floor((s % 3600) / 60) + "m";
  }

  function renderLive(box, live) {
    box.innerHTML = "";
    if (!live.length) {
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = "Nothing is training.";
      box.appendChild(p);
      return;
    }
    live.forEach(function (l) {
      var card = document.createElement("div");
      card.className = "card" + (l.stale ? " stale" : "");
      card.dataset.key = l.key;
      var title = document.createElement("div");
      title.innerHTML = "<b></b> <span class=muted></span>";
      title.querySelector("b").textContent = l.label || l.key.slice(0, 8);
      title.querySelector("span").textContent = l.pipeline + " · " + l.group + " · " + l.key.slice(0, 8);
      var bar = document.createElement("progress");
      bar.max = Math.max(1, l.iters);
      bar.value = l.iter;
      var text = document.createElement("div");
      text.className = "progress-text";
      var eta = l.iter > 0 && l.iters > l.iter ? l.elapsed_seconds * (l.iters - l.iter) / l.iter : 0;
      var loss = typeof l.loss === "number" ? l.loss.toFixed(4) : l.loss;
      text.textContent = "epoch " + l.epoch + "/" + l.epochs + "  iter " + l.iter + "/" + l.iters +
        "  loss " + loss + "  elapsed " + dur(l.elapsed_seconds) + "  ETA " + dur(eta) +
        (l.stale ? "  (no update for " + dur(l.age_seconds) + ": its run may have been killed)" : "");
      card.appendChild(title);
      card.appendChild(sparkline(l.curve || []));
      card.appendChild(bar);
      card.appendChild(text);
      box.appendChild(card);
    });
  }

  function pollState() {
    var live = document.getElementById("live");
    var trials = document.getElementById("trials");
    if (!live) return;
    var tick = function () {
      fetch("/api/state", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (st) {
        renderLive(live, st.live);
        live.dataset.updated = String(Date.now());
        if (trials && st.stamp !== trials.dataset.stamp) {
          return fetch("/fragment/trials", { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (h) {
            var filter = trials.querySelector("input.filter");
            var words = filter ? filter.value : "";
            var picks = Array.prototype.filter.call(trials.querySelectorAll("input.pick"), function (c) { return c.checked; })
              .map(function (c) { return c.value; });
            trials.innerHTML = h;
            trials.dataset.stamp = st.stamp;
            Array.prototype.forEach.call(trials.querySelectorAll("input.pick"), function (c) { c.checked = picks.indexOf(c.value) >= 0; });
            var nf = trials.querySelector("input.filter");
            if (nf) nf.value = words;
            init(trials);
            var b = trials.querySelector("button.compare");
            if (b) b.disabled = picks.length === 0;
          });
        }
      }).catch(function () { /* the server is restarting: try again */ })
        .then(function () { setTimeout(tick, 1000); });
    };
    tick();
  }

  function init(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".tablebox"), function (box) {
      initTable(box);
      initPicks(box);
      initOnlyDiff(box);
    });
    Array.prototype.forEach.call(root.querySelectorAll("figure.chart"), initChart);
  }
  window.pipeInit = init;
  document.addEventListener("DOMContentLoaded", function () { init(document); pollState(); });
})();
