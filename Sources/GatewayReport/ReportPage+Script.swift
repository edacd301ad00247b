extension ReportPage {
    /// The page's script: reads `gt-data` and `gt-payloads` (see ``SessionReport/html()``), draws the
    /// timeline on the canvas (marks deduplicated per pixel, lane and kind, so 100,000 marks draw in
    /// milliseconds), and handles zoom, pan, filter, selection and keys. `window.gatewaytapeReport`
    /// exposes the state for tests (lanes, visible counts, where a mark is drawn).
    static let script = #"""
        (function () {
        "use strict";
        const data = JSON.parse(document.getElementById("gt-data").textContent);
        // The payloads follow this script in the page: read once the parser has reached them.
        let blob = null;
        function payloads() {
          if (blob === null && document.readyState !== "loading") { const element = document.getElementById("gt-payloads"); if (element) blob = element.textContent; }
          return blob;
        }
        function whenLoaded(action) {
          if (payloads() !== null) return true;
          document.addEventListener("DOMContentLoaded", action, { once: true });
          return false;
        }
        const kinds = data.kinds, lanes = data.lanes, names = data.names;
        const n = data.marks.length / 7;
        const t = new Float64Array(n), lane = new Uint16Array(n), kind = new Uint8Array(n), nameOf = new Int32Array(n);
        const op = new Int16Array(n), seq = new Float64Array(n), off = new Float64Array(n + 1);
        (function decode() {
          const m = data.marks;
          let us = 0, pos = 0;
          for (let i = 0, j = 0; i < n; i++, j += 7) {
            us += m[j]; t[i] = us / 1000; lane[i] = m[j + 1]; kind[i] = m[j + 2]; nameOf[i] = m[j + 3];
            op[i] = m[j + 4] - 1; seq[i] = m[j + 5] - 1; off[i] = pos; pos += m[j + 6];
          }
          off[n] = pos;
          data.marks = null;
        })();
        const endMs = Math.max(data.end / 1000, n ? t[n - 1] : 0, 1);
        const namesLower = names.map(function (s) { return s.toLowerCase(); });

        // Each lane's marks in time order.
        const laneMarks = (function () {
          const counts = new Int32Array(lanes.length);
          for (let i = 0; i < n; i++) counts[lane[i]]++;
          const arrays = Array.from(counts, function (c) { return new Int32Array(c); });
          const fill = new Int32Array(lanes.length);
          for (let i = 0; i < n; i++) arrays[lane[i]][fill[lane[i]]++] = i;
          return arrays;
        })();

        // ---- Filtering ----
        const visible = new Uint8Array(n);
        let visibleCount = 0;
        let showHeartbeats = true;
        let blobLower = null;
        let lastFilterMs = 0;

        function parseFilter(text) {
          const terms = [];
          const re = /(\w+):"([^"]*)"?|(\w+):(\S+)|"([^"]*)"?|(\S+)/g;
          let match;
          while ((match = re.exec(text)) !== null) {
            let field = match[1] || match[3] || "", value = match[2] ?? match[4] ?? match[5] ?? match[6] ?? "";
            if (match[5] !== undefined) field = "text";
            if (field && ["event", "op", "route", "text"].indexOf(field.toLowerCase()) < 0) { value = field + ":" + value; field = ""; }
            value = value.toLowerCase();
            if (value !== "") terms.push({ field: field.toLowerCase(), value: value });
          }
          return terms;
        }

        function textHits(value) {
          if (blobLower === null) blobLower = payloads().toLowerCase();
          const needle = value.split("<").join("\\u003c");
          const hits = new Uint8Array(n);
          let from = 0, i = 0;
          while ((from = blobLower.indexOf(needle, from)) >= 0) {
            let lo = i, hi = n - 1;
            while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (off[mid] <= from) lo = mid; else hi = mid - 1; }
            i = lo;
            hits[i] = 1;
            from = Math.max(from + 1, off[i + 1]);
          }
          return hits;
        }

        function applyFilter() {
          const terms = parseFilter(filterInput.value);
          if (terms.some(function (term) { return term.field === "text"; }) && !whenLoaded(applyFilter)) return;
          const tests = terms.map(function (term) {
            if (term.field === "text") { const hits = textHits(term.value); return function (i) { return hits[i] === 1; }; }
            const nameHit = new Uint8Array(names.length);
            for (let k = 0; k < names.length; k++) nameHit[k] = namesLower[k].indexOf(term.value) >= 0 ? 1 : 0;
            if (term.field === "op") {
              const number = /^\d+$/.test(term.value) ? Number(term.value) : -2;
              return function (i) { return op[i] >= 0 && (op[i] === number || (op[i] !== 0 && nameHit[nameOf[i]] === 1)); };
            }
            if (term.field === "event") return function (i) { return op[i] === 0 && nameHit[nameOf[i]] === 1; };
            if (term.field === "route") return function (i) { return lanes[lane[i]].kind === "rest" && nameHit[nameOf[i]] === 1; };
            return function (i) { return nameHit[nameOf[i]] === 1; };
          });
          const started = performance.now();
          visibleCount = 0;
          for (let i = 0; i < n; i++) {
            let ok = showHeartbeats || !kinds[kind[i]].heartbeat;
            for (let k = 0; ok && k < tests.length; k++) ok = tests[k](i);
            visible[i] = ok ? 1 : 0;
            if (ok) visibleCount++;
          }
          lastFilterMs = performance.now() - started;
          status.textContent = visibleCount === n ? n + " marks" : visibleCount + " of " + n + " marks shown";
          if (selected >= 0 && !visible[selected]) select(-1);
          requestDraw();
        }

        // ---- Layout ----
        const canvas = document.getElementById("gt-canvas");
        const ctx = canvas.getContext("2d");
        const GUTTER = 190, AXIS = 26, LANE = 36, GROUP = 20, RIGHT = 12;
        const laneY = new Float64Array(lanes.length);
        const groupRows = [];
        let height = AXIS;
        lanes.forEach(function (l, k) {
          if (l.group && (k === 0 || lanes[k - 1].group !== l.group)) { groupRows.push({ y: height, label: l.group }); height += GROUP; }
          else if (!l.group && k > 0 && lanes[k - 1].group) height += 6;
          laneY[k] = height;
          height += LANE;
        });
        height += 8;
        let width = 800, dpr = 1;
        const pad = Math.max(endMs * 0.02, 1);
        let v0 = -pad, v1 = endMs + pad;

        function plotWidth() { return Math.max(width - GUTTER - RIGHT, 50); }
        function xOf(ms) { return GUTTER + (ms - v0) / (v1 - v0) * plotWidth(); }
        function msAt(x) { return v0 + (x - GUTTER) / plotWidth() * (v1 - v0); }

        function resize() {
          dpr = window.devicePixelRatio || 1;
          width = canvas.parentElement.clientWidth || 800;
          canvas.width = Math.round(width * dpr);
          canvas.height = Math.round(height * dpr);
          canvas.style.height = height + "px";
        }

        function lowerBound(ms) {
          let lo = 0, hi = n;
          while (lo < hi) { const mid = (lo + hi) >> 1; if (t[mid] < ms) lo = mid + 1; else hi = mid; }
          return lo;
        }

        function niceStep(raw) {
          const p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
          return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
        }

        function timeLabel(ms, step) {
          if (step >= 1000) return (ms / 1000).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1000)))) + " s";
          return ms.toFixed(Math.max(0, -Math.floor(Math.log10(step)))) + " ms";
        }

        // ---- Drawing ----
        let drawQueued = false;
        function requestDraw() {
          if (drawQueued) return;
          drawQueued = true;
          requestAnimationFrame(function () { drawQueued = false; draw(); });
        }

        function draw() {
          ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
          ctx.clearRect(0, 0, width, height);
          ctx.font = "12px system-ui, sans-serif";
          ctx.textBaseline = "middle";
          // lanes
          lanes.forEach(function (l, k) {
            const y = laneY[k];
            ctx.fillStyle = k % 2 ? "#f9fafb" : "#ffffff";
            ctx.fillRect(0, y, width, LANE);
            if (l.kind === "connection" && l.opened !== null) {
              const a = Math.max(xOf(l.opened / 1000), GUTTER), b = Math.min(xOf(l.closed !== null ? l.closed / 1000 : endMs), width - RIGHT);
              if (b > a) { ctx.fillStyle = "#e0ecff"; ctx.fillRect(a, y + 2, b - a, LANE - 4); }
            }
            ctx.save();
            ctx.beginPath(); ctx.rect(0, y, GUTTER - 6, LANE); ctx.clip();
            ctx.fillStyle = "#111827";
            ctx.fillText(l.label, 10 + (l.group ? 8 : 0), y + (l.close ? 11 : LANE / 2));
            if (l.close) { ctx.fillStyle = "#6b7280"; ctx.fillText(l.close, 18, y + 25); }
            ctx.restore();
          });
          groupRows.forEach(function (g) {
            ctx.fillStyle = "#eef2f7"; ctx.fillRect(0, g.y, width, GROUP);
            ctx.fillStyle = "#111827"; ctx.font = "bold 12px system-ui, sans-serif";
            ctx.fillText(g.label, 6, g.y + GROUP / 2);
            ctx.font = "12px system-ui, sans-serif";
          });
          // axis and grid
          ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, width, AXIS);
          const step = niceStep((v1 - v0) / Math.max(plotWidth() / 110, 1));
          ctx.strokeStyle = "#e5e7eb"; ctx.fillStyle = "#4b5563"; ctx.lineWidth = 1;
          ctx.beginPath();
          for (let ms = Math.ceil(v0 / step) * step; ms <= v1; ms += step) {
            const x = Math.round(xOf(ms)) + 0.5;
            ctx.moveTo(x, AXIS - 6); ctx.lineTo(x, height);
            if (x < width - 60) ctx.fillText(timeLabel(ms, step), x + 3, AXIS / 2);
          }
          ctx.stroke();
          ctx.strokeStyle = "#9ca3af"; ctx.beginPath(); ctx.moveTo(GUTTER - 0.5, 0); ctx.lineTo(GUTTER - 0.5, height); ctx.stroke();
          // marks: one rectangle per pixel column, lane and kind
          ctx.save();
          ctx.beginPath(); ctx.rect(GUTTER, AXIS, plotWidth(), height - AXIS); ctx.clip();
          const last = new Float64Array(lanes.length * kinds.length).fill(-1);
          const half = (LANE - 8) / 2;
          let color = -1;
          for (let i = lowerBound(v0 - 1e-9), end = lowerBound(v1 + 1e-9); i < end; i++) {
            if (!visible[i]) continue;
            const x = Math.floor(xOf(t[i])), key = lane[i] * kinds.length + kind[i];
            if (last[key] === x) continue;
            last[key] = x;
            if (kind[i] !== color) { color = kind[i]; ctx.fillStyle = kinds[color].color; }
            const row = kinds[color].row, y = laneY[lane[i]] + 4;
            if (row === 2) ctx.fillRect(x, y, kinds[color].heartbeat ? 2 : 3, LANE - 8);
            else ctx.fillRect(x, y + row * half, 3, half - 1);
          }
          if (selected >= 0) {
            const x = Math.floor(xOf(t[selected])), y = laneY[lane[selected]];
            ctx.strokeStyle = "#111827"; ctx.lineWidth = 2;
            ctx.strokeRect(x - 3, y + 1, 8, LANE - 2);
            ctx.setLineDash([3, 3]); ctx.lineWidth = 1; ctx.beginPath();
            ctx.moveTo(x + 1, AXIS); ctx.lineTo(x + 1, height); ctx.stroke(); ctx.setLineDash([]);
          }
          ctx.restore();
        }

        // ---- Selection ----
        let selected = -1;
        const meta = document.getElementById("gt-detail-meta"), jsonView = document.getElementById("gt-json");

        function pretty(text) {
          let out = [], depth = 0, inString = false, escaped = false;
          const newline = function () { out.push("\n" + "  ".repeat(depth)); };
          for (let i = 0; i < text.length; i++) {
            const c = text[i];
            if (inString) {
              out.push(c);
              if (escaped) escaped = false; else if (c === "\\") escaped = true; else if (c === '"') inString = false;
              continue;
            }
            if (c === '"') { inString = true; out.push(c); }
            else if (c === "{" || c === "[") {
              let k = i + 1;
              while (k < text.length && " \t\n\r".indexOf(text[k]) >= 0) k++;
              if (text[k] === (c === "{" ? "}" : "]")) { out.push(c + text[k]); i = k; } else { depth++; out.push(c); newline(); }
            } else if (c === "}" || c === "]") { depth--; newline(); out.push(c); }
            else if (c === ",") { out.push(","); newline(); }
            else if (c === ":") out.push(": ");
            else if (" \t\n\r".indexOf(c) < 0) out.push(c);
          }
          return out.join("").split("\\u003c").join("<");
        }

        function describe(i) {
          const k = kinds[kind[i]], l = lanes[lane[i]];
          const parts = [names[nameOf[i]], k.label];
          if (op[i] >= 0) parts.push("op " + op[i]);
          if (seq[i] >= 0) parts.push("seq " + seq[i]);
          parts.push("+" + (t[i] / 1000).toFixed(3) + " s");
          parts.push(l.label + (l.group ? " (" + l.group + ")" : ""));
          return parts.join(" · ");
        }

        function select(i, reveal) {
          selected = i;
          if (i < 0) { meta.textContent = "Nothing selected."; jsonView.textContent = ""; requestDraw(); return; }
          meta.textContent = describe(i);
          jsonView.textContent = whenLoaded(function () { if (selected === i) select(i); }) ? pretty(blob.substring(off[i], off[i + 1])) : "loading…";
          if (reveal && (t[i] < v0 || t[i] > v1)) { const span = v1 - v0; v0 = t[i] - span / 2; v1 = t[i] + span / 2; }
          requestDraw();
        }

        // The visible mark of lane `l` nearest to `ms` (`dir` 0), or the next / previous one after `from`.
        function laneSearch(l, ms, dir, from) {
          const a = laneMarks[l];
          let lo = 0, hi = a.length;
          while (lo < hi) { const mid = (lo + hi) >> 1; if (t[a[mid]] < ms) lo = mid + 1; else hi = mid; }
          if (dir !== 0) {
            let p = from >= 0 ? a.indexOf(from) + dir : (dir > 0 ? lo : lo - 1);
            while (p >= 0 && p < a.length && !visible[a[p]]) p += dir;
            return p >= 0 && p < a.length ? a[p] : -1;
          }
          let best = -1, bestGap = Infinity;
          for (let p = lo; p < a.length; p++) if (visible[a[p]]) { best = a[p]; bestGap = t[a[p]] - ms; break; }
          for (let p = lo - 1; p >= 0; p--) if (visible[a[p]]) { if (ms - t[a[p]] <= bestGap) best = a[p]; break; }
          return best;
        }

        function laneAt(y) {
          for (let k = 0; k < lanes.length; k++) if (y >= laneY[k] && y < laneY[k] + LANE) return k;
          return -1;
        }

        // ---- Zoom and pan ----
        function zoom(factor, centerMs) {
          const span = Math.min(Math.max((v1 - v0) * factor, 0.05), (endMs + 2 * pad) * 4);
          const c = centerMs === undefined ? (v0 + v1) / 2 : centerMs;
          const ratio = (c - v0) / (v1 - v0);
          v0 = c - span * ratio; v1 = v0 + span;
          requestDraw();
        }
        function pan(fraction) { const shift = (v1 - v0) * fraction; v0 += shift; v1 += shift; requestDraw(); }
        function fit() { v0 = -pad; v1 = endMs + pad; requestDraw(); }

        canvas.addEventListener("wheel", function (e) {
          e.preventDefault();
          const rect = canvas.getBoundingClientRect();
          if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.deltaX || e.deltaY) / plotWidth());
          else zoom(Math.exp(e.deltaY * 0.002), msAt(e.clientX - rect.left));
        }, { passive: false });

        let drag = null;
        canvas.addEventListener("pointerdown", function (e) {
          drag = { x: e.clientX, v0: v0, v1: v1, moved: false };
          canvas.setPointerCapture(e.pointerId);
        });
        // The mark under the pointer (within 6 px), or -1.
        function markAt(clientX, clientY) {
          const rect = canvas.getBoundingClientRect(), x = clientX - rect.left, l = laneAt(clientY - rect.top);
          if (l < 0 || x < GUTTER) return -1;
          const i = laneSearch(l, msAt(x), 0, -1);
          return i >= 0 && Math.abs(xOf(t[i]) - x) <= 6 ? i : -1;
        }
        canvas.addEventListener("pointermove", function (e) {
          if (!drag) { const i = markAt(e.clientX, e.clientY); canvas.title = i >= 0 ? describe(i) : ""; return; }
          const dx = e.clientX - drag.x;
          if (Math.abs(dx) > 3) { drag.moved = true; canvas.classList.add("dragging"); }
          if (drag.moved) { const shift = dx / plotWidth() * (drag.v1 - drag.v0); v0 = drag.v0 - shift; v1 = drag.v1 - shift; requestDraw(); }
        });
        canvas.addEventListener("pointerup", function (e) {
          const wasDrag = drag && drag.moved;
          drag = null;
          canvas.classList.remove("dragging");
          if (!wasDrag) select(markAt(e.clientX, e.clientY));
        });

        canvas.addEventListener("keydown", function (e) {
          const current = selected >= 0 ? lane[selected] : laneMarks.findIndex(function (a) { return a.some(function (i) { return visible[i]; }); });
          let handled = true;
          switch (e.key) {
            case "ArrowRight": case "ArrowLeft": {
              if (current < 0) break;
              const dir = e.key === "ArrowRight" ? 1 : -1;
              const i = selected >= 0 ? laneSearch(current, t[selected], dir, selected) : laneSearch(current, dir > 0 ? v0 : v1, dir, -1);
              if (i >= 0) select(i, true);
              break;
            }
            case "ArrowUp": case "ArrowDown": {
              const dir = e.key === "ArrowDown" ? 1 : -1, ms = selected >= 0 ? t[selected] : (v0 + v1) / 2;
              for (let l = current + dir; l >= 0 && l < lanes.length; l += dir) {
                const i = laneSearch(l, ms, 0, -1);
                if (i >= 0) { select(i, true); break; }
              }
              break;
            }
            case "Home": case "End": {
              if (current < 0) break;
              const i = e.key === "Home" ? laneSearch(current, -Infinity, 1, -1) : laneSearch(current, Infinity, -1, -1);
              if (i >= 0) select(i, true);
              break;
            }
            case "+": case "=": zoom(1 / 1.5, selected >= 0 ? t[selected] : undefined); break;
            case "-": case "_": zoom(1.5, selected >= 0 ? t[selected] : undefined); break;
            case "0": fit(); break;
            case "PageDown": pan(0.5); break;
            case "PageUp": pan(-0.5); break;
            default: handled = false;
          }
          if (handled) e.preventDefault();
        });

        // ---- Controls ----
        const filterInput = document.getElementById("gt-filter"), status = document.getElementById("gt-status");
        const heartbeats = document.getElementById("gt-heartbeats");
        let filterTimer = 0;
        filterInput.addEventListener("input", function () { clearTimeout(filterTimer); filterTimer = setTimeout(applyFilter, n > 20000 ? 200 : 60); });
        heartbeats.addEventListener("change", function () { showHeartbeats = heartbeats.checked; applyFilter(); });
        document.getElementById("gt-zoom-in").addEventListener("click", function () { zoom(1 / 1.5); });
        document.getElementById("gt-zoom-out").addEventListener("click", function () { zoom(1.5); });
        document.getElementById("gt-fit").addEventListener("click", fit);
        window.addEventListener("resize", function () { resize(); requestDraw(); });

        resize();
        applyFilter();
        draw();
        canvas.setAttribute("aria-label", "Timeline: " + lanes.length + " lanes, " + n + " marks");

        // ---- State for tests ----
        window.gatewaytapeReport = {
          firstDrawMs: performance.now(),
          markCount: n,
          lanes: lanes.map(function (l) { return { kind: l.kind, label: l.label, group: l.group, connection: l.connection, shard: l.shard, close: l.close }; }),
          visibleCount: function () { return visibleCount; },
          visibleByName: function () {
            const counts = {};
            for (let i = 0; i < n; i++) if (visible[i]) counts[names[nameOf[i]]] = (counts[names[nameOf[i]]] || 0) + 1;
            return counts;
          },
          visibleHeartbeats: function () { let c = 0; for (let i = 0; i < n; i++) if (visible[i] && kinds[kind[i]].heartbeat) c++; return c; },
          firstVisible: function (name) { for (let i = 0; i < n; i++) if (visible[i] && (name === undefined || names[nameOf[i]] === name)) return i; return -1; },
          markPoint: function (i) {
            if (t[i] < v0 || t[i] > v1) { const span = v1 - v0; v0 = t[i] - span / 2; v1 = t[i] + span / 2; }
            draw();
            return { x: Math.floor(xOf(t[i])) + 1, y: laneY[lane[i]] + LANE / 2 };
          },
          selected: function () { return selected; },
          lastFilterMs: function () { return lastFilterMs; },
          view: function () { return [v0, v1]; },
          zoom: function (factor) { zoom(factor); },
          fit: fit,
          drawNow: function () { const started = performance.now(); draw(); return performance.now() - started; },
        };
        })();
        """#
}
